/**
 * WebAssembly text of im2col / col2im (the references: ../im2col.ts, which these follow
 * loop for loop, so col2im's additions happen in the same order and the results are equal
 * bit for bit). Part of the elementwise module (opsWat.ts). Addresses are bytes; image
 * geometry is in elements.
 */
import { forRange } from './watLoops.ts';

const g = (v: string): string => `(local.get $${v})`;
const mul = (a: string, b: string): string => `(i32.mul ${a} ${b})`;
const add = (a: string, b: string): string => `(i32.add ${a} ${b})`;
const bytes = (a: string): string => `(i32.shl ${a} (i32.const 2))`;

/** Internal helpers over n floats at byte addresses: copy, add into, four lanes then one. */
function runFunctions(): string {
  const run = (name: string, vecOp: string, scalarOp: string): string => [
    `(func $${name} (param $d i32) (param $s i32) (param $n i32)`,
    '  (local $e i32) (local $e4 i32)',
    '  (local.set $e (i32.add (local.get $d) (i32.shl (local.get $n) (i32.const 2))))',
    '  (local.set $e4 (i32.add (local.get $d) (i32.and (i32.shl (local.get $n) (i32.const 2)) (i32.const -16))))',
    '  (block $vd (loop $vl',
    '    (br_if $vd (i32.ge_u (local.get $d) (local.get $e4)))',
    `    (v128.store (local.get $d) ${vecOp})`,
    '    (local.set $d (i32.add (local.get $d) (i32.const 16)))',
    '    (local.set $s (i32.add (local.get $s) (i32.const 16)))',
    '    (br $vl)))',
    '  (block $sd (loop $sl',
    '    (br_if $sd (i32.ge_u (local.get $d) (local.get $e)))',
    `    (f32.store (local.get $d) ${scalarOp})`,
    '    (local.set $d (i32.add (local.get $d) (i32.const 4)))',
    '    (local.set $s (i32.add (local.get $s) (i32.const 4)))',
    '    (br $sl)))',
    ')',
  ].join('\n');
  return [
    run('copy', '(v128.load (local.get $s))', '(f32.load (local.get $s))'),
    run('addTo', '(f32x4.add (v128.load (local.get $d)) (v128.load (local.get $s)))', '(f32.add (f32.load (local.get $d)) (f32.load (local.get $s)))'),
  ].join('\n');
}

/**
 * Stores n <= 4 floats at $o (the column matrix) with at most two stores: 4 as one v128, else
 * 2 as one i64 and 1 as one i32 after them. `value(offset, type)` gives the stored value for
 * a part (`offset` adds the part's byte offset to an address). Bits are moved unchanged.
 */
function smallRun(n: string, value: (offset: (addr: string) => string, type: 'v128' | 'i64' | 'i32') => string): string {
  const tail = '(i32.shl (i32.and ' + n + ' (i32.const 2)) (i32.const 2))';
  const at = (addr: string): string => addr;
  const atTail = (addr: string): string => `(i32.add ${addr} ${tail})`;
  return `(if (i32.eq ${n} (i32.const 4)) (then (v128.store (local.get $o) ${value(at, 'v128')})) (else`
    + ` (if (i32.and ${n} (i32.const 2)) (then (i64.store (local.get $o) ${value(at, 'i64')})))`
    + ` (if (i32.and ${n} (i32.const 1)) (then (i32.store ${atTail('(local.get $o)')} ${value(atTail, 'i32')})))))`;
}

const GEOMETRY = ['h', 'w', 'c', 'kh', 'kw', 'sh', 'sw', 'dh', 'dw', 'pt', 'pl', 'oh', 'ow'];

/**
 * im2col(x, col, s0, s1, h, w, c, kh, kw, sh, sw, dh, dw, padTop, padLeft, outH, outW) when
 * `adjoint` is false; col2im(col, dx, ...) (dx += the entries) when true. `$img` is the image
 * pointer (x or dx), `$o` walks the column matrix.
 */
function im2col(adjoint: boolean): string {
  const name = adjoint ? 'col2im' : 'im2col';
  const params = (adjoint ? '(param $col i32) (param $img i32)' : '(param $img i32) (param $col i32)')
    + ' (param $s0 i32) (param $s1 i32) ' + GEOMETRY.map((p) => `(param $${p} i32)`).join(' ');
  const locals = ['kwc', 'imgSize', 'o', 's', 'oy', 'ox', 'ky', 'kx', 'iy0', 'ix0', 'ixLast', 'iy', 'ix', 'rowBase', 'xs', 'src'];
  // Copy a run of n floats between the column matrix at $o and the image at `at`. im2col's
  // runs of at most 4 floats (one channel: a 3-wide kernel row is 3 floats) are moved inline
  // with one or two loads and stores, not by a call and a loop (a 3x3x1 layer's im2col at
  // batch 64: 1.10-1.15 ms -> 0.94-0.95).
  const run = (at: string, n: string): string => (adjoint
    ? `(call $addTo ${at} (local.get $o) ${n})`
    : `(local.set $src ${at}) (if (i32.le_u ${n} (i32.const 4)) (then ${smallRun(n, (off, type) => `(${type}.load ${off('(local.get $src)')})`)}) (else (call $copy (local.get $o) (local.get $src) ${n})))`);
  const zero = (n: string): string => (adjoint
    ? ''
    : `(if (i32.le_u ${n} (i32.const 4)) (then ${smallRun(n, (_, type) => (type === 'v128' ? '(v128.const i32x4 0 0 0 0)' : `(${type}.const 0)`))}) (else (memory.fill (local.get $o) (i32.const 0) ${bytes(n)})))`);
  const advance = (n: string): string => `(local.set $o (i32.add (local.get $o) ${bytes(n)}))`;
  const kxLoop = forRange('$kx', '(i32.const 0)', g('kw'), [
    `(local.set $ix ${add(g('ix0'), mul(g('kx'), g('dw')))})`,
    `(if (i32.ge_u (local.get $ix) (local.get $w)) (then ${zero(g('c'))}) (else ${run(add(g('rowBase'), bytes(mul(g('ix'), g('c')))), g('c'))}))`,
    advance(g('c')),
  ]);
  const kyBody = [
    `(local.set $iy ${add(g('iy0'), mul(g('ky'), g('dh')))})`,
    '(block $ky_next',
    `  (if (i32.ge_u (local.get $iy) (local.get $h)) (then ${zero(g('kwc'))} ${advance(g('kwc'))} (br $ky_next)))`,
    `  (local.set $rowBase ${add(g('xs'), bytes(mul(mul(g('iy'), g('w')), g('c'))))})`,
    '  (if (i32.and (i32.eq (local.get $dw) (i32.const 1)) (i32.and (i32.ge_s (local.get $ix0) (i32.const 0)) (i32.lt_s (local.get $ixLast) (local.get $w))))',
    `    (then ${run(add(g('rowBase'), bytes(mul(g('ix0'), g('c')))), g('kwc'))} ${advance(g('kwc'))} (br $ky_next)))`,
    ...kxLoop.map((l) => `  ${l}`),
    ')',
  ];
  const body = forRange('$s', g('s0'), g('s1'), [
    `(local.set $xs ${add(g('img'), bytes(mul(g('s'), g('imgSize'))))})`,
    ...forRange('$oy', '(i32.const 0)', g('oh'), [
      `(local.set $iy0 (i32.sub ${mul(g('oy'), g('sh'))} (local.get $pt)))`,
      ...forRange('$ox', '(i32.const 0)', g('ow'), [
        `(local.set $ix0 (i32.sub ${mul(g('ox'), g('sw'))} (local.get $pl)))`,
        `(local.set $ixLast ${add(g('ix0'), mul(`(i32.sub ${g('kw')} (i32.const 1))`, g('dw')))})`,
        ...forRange('$ky', '(i32.const 0)', g('kh'), kyBody),
      ]),
    ]),
  ]);
  return [
    `(func (export "${name}") ${params}`,
    ...locals.map((l) => `  (local $${l} i32)`),
    `  (local.set $kwc ${mul(g('kw'), g('c'))})`,
    `  (local.set $imgSize ${mul(mul(g('h'), g('w')), g('c'))})`,
    `  (local.set $o ${add(g('col'), bytes(mul(mul(mul(mul(g('s0'), g('oh')), g('ow')), g('kh')), g('kwc'))))})`,
    ...body.map((l) => `  ${l}`),
    ')',
  ].join('\n');
}

export function im2colFunctions(): string {
  return [runFunctions(), im2col(false), im2col(true)].join('\n');
}
