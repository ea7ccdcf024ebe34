/**
 * WebAssembly text of 2-D max pooling (references: ../maxPool.ts). Forward walks each
 * window's in-image pixels in row order keeping the first strict maximum (as the
 * reference's `x[i] > x[at]` does), four channels at a time with compare + bitselect, then
 * one at a time; indices are element indices into x. Backward zero-fills dx and adds each
 * output gradient onto its winner, in output order. Part of the elementwise module.
 */
import { forRange } from './watLoops.ts';

const g = (v: string): string => `(local.get $${v})`;
const addr = (base: string, index: string): string => `(i32.add (local.get $${base}) (i32.shl ${index} (i32.const 2)))`;
const min = (a: string, b: string): string => `(select ${a} ${b} (i32.lt_s ${a} ${b}))`;
const max = (a: string, b: string): string => `(select ${a} ${b} (i32.gt_s ${a} ${b}))`;

function maxPoolForward(): string {
  const geometry = ['h', 'w', 'c', 'kh', 'kw', 'sh', 'sw', 'pt', 'pl', 'oh', 'ow'];
  const i32 = ['img', 's', 'oy', 'ox', 'y0', 'y1', 'x0', 'x1', 'o', 'ch', 'c4', 'iy', 'ix', 'i', 'at', 'first'];
  // index of pixel (iy, ix), channel ch, of sample s
  const pixel = '(i32.add (i32.add (i32.mul (local.get $s) (local.get $img)) (i32.mul (i32.add (i32.mul (local.get $iy) (local.get $w)) (local.get $ix)) (local.get $c))) (local.get $ch))';
  const windowLoop = (inner: string[]): string[] => forRange('$iy', g('y0'), g('y1'), forRange('$ix', g('x0'), g('x1'), [`(local.set $i ${pixel})`, ...inner]));
  const vectorBody = [
    `(local.set $at (i32.add (i32.add (i32.mul (local.get $s) (local.get $img)) (i32.mul (i32.add (i32.mul (local.get $y0) (local.get $w)) (local.get $x0)) (local.get $c))) (local.get $ch)))`,
    `(local.set $bestV (v128.load ${addr('x', g('at'))}))`,
    '(local.set $atV (i32x4.add (i32x4.splat (local.get $at)) (v128.const i32x4 0 1 2 3)))',
    ...windowLoop([
      `(local.set $v (v128.load ${addr('x', g('i'))}))`,
      '(local.set $m (f32x4.gt (local.get $v) (local.get $bestV)))',
      '(local.set $bestV (v128.bitselect (local.get $v) (local.get $bestV) (local.get $m)))',
      '(local.set $atV (v128.bitselect (i32x4.add (i32x4.splat (local.get $i)) (v128.const i32x4 0 1 2 3)) (local.get $atV) (local.get $m)))',
    ]),
    `(v128.store ${addr('y', '(i32.add (local.get $o) (local.get $ch))')} (local.get $bestV))`,
    `(v128.store ${addr('arg', '(i32.add (local.get $o) (local.get $ch))')} (local.get $atV))`,
    '(local.set $ch (i32.add (local.get $ch) (i32.const 4)))',
  ];
  const scalarBody = [
    `(local.set $at (i32.add (i32.add (i32.mul (local.get $s) (local.get $img)) (i32.mul (i32.add (i32.mul (local.get $y0) (local.get $w)) (local.get $x0)) (local.get $c))) (local.get $ch)))`,
    `(local.set $best (f32.load ${addr('x', g('at'))}))`,
    ...windowLoop([
      `(local.set $vs (f32.load ${addr('x', g('i'))}))`,
      '(if (f32.gt (local.get $vs) (local.get $best)) (then (local.set $best (local.get $vs)) (local.set $at (local.get $i))))',
    ]),
    `(f32.store ${addr('y', '(i32.add (local.get $o) (local.get $ch))')} (local.get $best))`,
    `(i32.store ${addr('arg', '(i32.add (local.get $o) (local.get $ch))')} (local.get $at))`,
    '(local.set $ch (i32.add (local.get $ch) (i32.const 1)))',
  ];
  const perWindow = [
    `(local.set $x0 ${max('(i32.sub (i32.mul (local.get $ox) (local.get $sw)) (local.get $pl))', '(i32.const 0)')})`,
    `(local.set $x1 ${min('(i32.add (i32.sub (i32.mul (local.get $ox) (local.get $sw)) (local.get $pl)) (local.get $kw))', g('w'))})`,
    '(local.set $ch (i32.const 0))',
    '(block $vd (loop $vl',
    '  (br_if $vd (i32.gt_s (i32.add (local.get $ch) (i32.const 4)) (local.get $c)))',
    ...vectorBody.map((l) => `  ${l}`),
    '  (br $vl)))',
    '(block $sd (loop $sl',
    '  (br_if $sd (i32.ge_s (local.get $ch) (local.get $c)))',
    ...scalarBody.map((l) => `  ${l}`),
    '  (br $sl)))',
    '(local.set $o (i32.add (local.get $o) (local.get $c)))',
  ];
  const body = forRange('$s', '(i32.const 0)', g('batch'), forRange('$oy', '(i32.const 0)', g('oh'), [
    `(local.set $y0 ${max('(i32.sub (i32.mul (local.get $oy) (local.get $sh)) (local.get $pt))', '(i32.const 0)')})`,
    `(local.set $y1 ${min('(i32.add (i32.sub (i32.mul (local.get $oy) (local.get $sh)) (local.get $pt)) (local.get $kh))', g('h'))})`,
    ...forRange('$ox', '(i32.const 0)', g('ow'), perWindow),
  ]));
  return [
    `(func (export "maxPoolForward") (param $x i32) (param $y i32) (param $arg i32) (param $batch i32) ${geometry.map((p) => `(param $${p} i32)`).join(' ')}`,
    ...i32.map((l) => `  (local $${l} i32)`),
    '  (local $best f32) (local $vs f32) (local $bestV v128) (local $atV v128) (local $v v128) (local $m v128)',
    '  (local.set $img (i32.mul (i32.mul (local.get $h) (local.get $w)) (local.get $c)))',
    ...body.map((l) => `  ${l}`),
    ')',
  ].join('\n');
}

function maxPoolBackward(): string {
  return [
    '(func (export "maxPoolBackward") (param $dy i32) (param $arg i32) (param $dx i32) (param $n i32) (param $dxLength i32)',
    '  (local $i i32) (local $p i32)',
    '  (memory.fill (local.get $dx) (i32.const 0) (i32.shl (local.get $dxLength) (i32.const 2)))',
    ...forRange('$i', '(i32.const 0)', g('n'), [
      `(local.set $p ${addr('dx', `(i32.load ${addr('arg', g('i'))})`)})`,
      `(f32.store (local.get $p) (f32.add (f32.load (local.get $p)) (f32.load ${addr('dy', g('i'))})))`,
    ]).map((l) => `  ${l}`),
    ')',
  ].join('\n');
}

export function poolFunctions(): string {
  return [maxPoolForward(), maxPoolBackward()].join('\n');
}
