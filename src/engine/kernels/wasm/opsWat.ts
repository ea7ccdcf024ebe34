/**
 * Source of the WebAssembly elementwise module (WebAssembly text), the companion of the
 * GEMM module over the same shared memory: the optimizer update and the other per-element
 * loops a training step runs over every parameter, which plain JavaScript runs at 6-13
 * ns per element (scalar double arithmetic) and f32x4 SIMD at under 1.
 *
 * Every routine does its arithmetic in f32, one IEEE operation at a time in a fixed order,
 * so its results equal its plain TypeScript reference (`../../optim/adamUpdate.ts`,
 * `../elementwise.ts`) bit for bit: a float32 operation equals the double operation rounded
 * to float32 (`Math.fround`) for +, -, *, / and sqrt. Four lanes at a time, then the tail
 * one at a time with the same operations. Addresses are bytes; sizes are elements.
 * im2col / col2im are in im2colWat.ts, max pooling in poolWat.ts.
 */
import { im2colFunctions } from './im2colWat.ts';
import { poolFunctions } from './poolWat.ts';

/** f32x4 and scalar forms of the same expression, written once. */
export interface Ops {
  readonly kind: 'vec' | 'scalar';
  load(addr: string): string;
  store(addr: string, v: string): string;
  splat(name: string): string;
  op(name: 'add' | 'sub' | 'mul' | 'div' | 'pmin' | 'pmax', a: string, b: string): string;
  sqrt(a: string): string;
  /** `a` (evaluated twice: pass a local.get), or +0 where it is subnormal (|a| < 2^-126). */
  flushSubnormal(a: string): string;
}

const MIN_NORMAL = '0x1p-126';

/** The f32x4 forms, reading and writing `offset` bytes past each address (for unrolled loops). */
export const vecAt = (offset: number): Ops => ({
  kind: 'vec',
  load: (a) => `(v128.load offset=${offset} (${a}))`,
  store: (a, v) => `(v128.store offset=${offset} (${a}) ${v})`,
  splat: (n) => `(local.get $${n}4)`,
  op: (name, a, b) => `(f32x4.${name} ${a} ${b})`,
  sqrt: (a) => `(f32x4.sqrt ${a})`,
  flushSubnormal: (a) => `(v128.andnot ${a} (f32x4.lt (f32x4.abs ${a}) (v128.const f32x4 ${Array(4).fill(MIN_NORMAL).join(' ')})))`,
});

export const vec: Ops = vecAt(0);

// pmin(a, b) = b < a ? b : a and pmax(a, b) = a < b ? b : a, as f32x4.pmin/pmax define them.
export const scalar: Ops = {
  kind: 'scalar',
  load: (a) => `(f32.load (${a}))`,
  store: (a, v) => `(f32.store (${a}) ${v})`,
  splat: (n) => `(local.get $${n})`,
  op: (name, a, b) => (name === 'pmin'
    ? `(select ${b} ${a} (f32.lt ${b} ${a}))`
    : name === 'pmax'
      ? `(select ${b} ${a} (f32.lt ${a} ${b}))`
      : `(f32.${name} ${a} ${b})`),
  sqrt: (a) => `(f32.sqrt ${a})`,
  flushSubnormal: (a) => `(select (f32.const 0) ${a} (f32.lt (f32.abs ${a}) (f32.const ${MIN_NORMAL})))`,
};

export const at = (ptr: string): string => `i32.add (local.get $${ptr}) (local.get $i)`;

/**
 * A loop over elements: `body(ops)` for 4·unroll lanes while that many remain (one
 * iteration holding `unroll` independent vector bodies: Adam measured 1.25 -> 0.84 ns per
 * element with 2, no better with 4), then for 4 lanes, then for 1. `$i` is the
 * byte offset, `$end` the end (n*4). Each f32 parameter `$x` also exists splatted as `$x4`;
 * each name in `locals` exists as f32 `$x` and v128 `$xv`; `prelude` runs before the splats.
 */
export function loop(name: string, params: string, f32Params: string[], body: (o: Ops) => string[], locals: string[] = [], prelude: string[] = [], unroll = 1): string {
  const splats = f32Params.map((p) => `(local.set $${p}4 (f32x4.splat (local.get $${p})))`);
  return [
    `(func (export "${name}") ${params}`,
    '  (local $i i32) (local $end i32) (local $end4 i32)',
    ...f32Params.map((p) => `  (local $${p}4 v128)`),
    ...locals.map((l) => `  (local $${l} f32) (local $${l}v v128)`),
    ...prelude.map((p) => `  ${p}`),
    ...splats.map((s) => `  ${s}`),
    '  (local.set $end (i32.shl (local.get $n) (i32.const 2)))',
    '  (local.set $end4 (i32.and (local.get $end) (i32.const -16)))',
    ...(unroll > 1
      ? [
        `  (block $udone (loop $u`,
        `    (br_if $udone (i32.gt_u (i32.add (local.get $i) (i32.const ${16 * unroll})) (local.get $end4)))`,
        ...Array.from({ length: unroll }, (_, k) => body(vecAt(16 * k))).flat().map((l) => `    ${l}`),
        `    (local.set $i (i32.add (local.get $i) (i32.const ${16 * unroll})))`,
        '    (br $u)))',
      ]
      : []),
    '  (block $vdone (loop $v',
    '    (br_if $vdone (i32.ge_u (local.get $i) (local.get $end4)))',
    ...body(vec).map((l) => `    ${l}`),
    '    (local.set $i (i32.add (local.get $i) (i32.const 16)))',
    '    (br $v)))',
    '  (block $sdone (loop $s',
    '    (br_if $sdone (i32.ge_u (local.get $i) (local.get $end)))',
    ...body(scalar).map((l) => `    ${l}`),
    '    (local.set $i (i32.add (local.get $i) (i32.const 4)))',
    '    (br $s)))',
    ')',
  ].join('\n');
}

/** Local names for the vector or scalar pass. */
export const L = (o: Ops, name: string): string => (o.kind === 'vec' ? `$${name}v` : `$${name}`);
export const get = (o: Ops, name: string): string => `(local.get ${L(o, name)})`;
export const set = (o: Ops, name: string, v: string): string => `(local.set ${L(o, name)} ${v})`;

/**
 * adam(w, g, m, v, n, scale, clip, l2, shrink, b1, c1, b2, c2, stepSize, rbc2, eps), per element:
 *   g' = pmax(pmin(g*scale, clip), -clip); w' = w*shrink; g' = g' + l2*w'
 *   m = m*b1 + g'*c1; v = v*b2 + (g'*g')*c2; m, v = +0 where subnormal
 *   w = w' - stepSize * (m / (sqrt(v)*rbc2 + eps))
 * (PyTorch's Adam/AdamW order; c1 = 1-b1, c2 = 1-b2; shrink = 1 - lr*wd for AdamW, else 1).
 */
function adam(): string {
  const fs = ['scale', 'clip', 'nclip', 'l2', 'shrink', 'b1', 'c1', 'b2', 'c2', 'stepSize', 'rbc2', 'eps'];
  const params = '(param $w i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32) '
    + fs.filter((f) => f !== 'nclip').map((f) => `(param $${f} f32)`).join(' ')
    + ' (local $nclip f32)';
  const body = (o: Ops): string[] => {
    const s = (n: string): string => o.splat(n);
    return [
      set(o, 'gi', o.op('pmax', o.op('pmin', o.op('mul', o.load(at('g')), s('scale')), s('clip')), s('nclip'))),
      set(o, 'wi', o.op('mul', o.load(at('w')), s('shrink'))),
      set(o, 'gi', o.op('add', get(o, 'gi'), o.op('mul', s('l2'), get(o, 'wi')))),
      set(o, 'mi', o.op('add', o.op('mul', o.load(at('m')), s('b1')), o.op('mul', get(o, 'gi'), s('c1')))),
      set(o, 'vi', o.op('add', o.op('mul', o.load(at('v')), s('b2')), o.op('mul', o.op('mul', get(o, 'gi'), get(o, 'gi')), s('c2')))),
      // Subnormal m and v become +0 (optim/subnormal.ts: they take a slow path on Intel cores).
      set(o, 'mi', o.flushSubnormal(get(o, 'mi'))),
      set(o, 'vi', o.flushSubnormal(get(o, 'vi'))),
      o.store(at('m'), get(o, 'mi')),
      o.store(at('v'), get(o, 'vi')),
      o.store(at('w'), o.op('sub', get(o, 'wi'), o.op('mul', s('stepSize'), o.op('div', get(o, 'mi'), o.op('add', o.op('mul', o.sqrt(get(o, 'vi')), s('rbc2')), s('eps')))))),
    ];
  };
  return loop('adam', params, fs, body, ['gi', 'wi', 'mi', 'vi'], ['(local.set $nclip (f32.neg (local.get $clip)))'], 2);
}

/** scaleShift(x, y, n, scale, offset): y = x*scale + offset (float32, two roundings; kernels/scaleShift.ts). */
function scaleShift(): string {
  return loop('scaleShift', '(param $x i32) (param $y i32) (param $n i32) (param $scale f32) (param $offset f32)', ['scale', 'offset'], (o) => [
    o.store(at('y'), o.op('add', o.op('mul', o.load(at('x')), o.splat('scale')), o.splat('offset'))),
  ], [], [], 2);
}

/** addInto(dst, src, n): dst += src. */
function addInto(): string {
  return loop('addInto', '(param $dst i32) (param $src i32) (param $n i32)', [], (o) => [
    o.store(at('dst'), o.op('add', o.load(at('dst')), o.load(at('src')))),
  ], [], [], 2);
}

/**
 * A loop over a channels-last [rows, f] matrix: for each row, `body(ops)` on 4 channels
 * while 4 remain, then on 1. `$i` is the byte offset in the matrix (row·f + j)·4 and `$j`
 * the channel's byte offset j·4 (for per-channel arrays, e.g. `atChannel('bias')`).
 */
function rowLoop(name: string, params: string, body: (o: Ops) => string[], locals: string[] = []): string {
  return [
    `(func (export "${name}") ${params}`,
    '  (local $i i32) (local $j i32) (local $row i32) (local $fb i32) (local $fb4 i32)',
    ...locals.map((l) => `  (local $${l} f32) (local $${l}v v128)`),
    '  (local.set $fb (i32.shl (local.get $f) (i32.const 2)))',
    '  (local.set $fb4 (i32.and (local.get $fb) (i32.const -16)))',
    '  (block $rdone (loop $r',
    '    (br_if $rdone (i32.ge_u (local.get $row) (local.get $rows)))',
    '    (local.set $j (i32.const 0))',
    '    (block $vdone (loop $v',
    '      (br_if $vdone (i32.ge_u (local.get $j) (local.get $fb4)))',
    ...body(vec).map((l) => `      ${l}`),
    '      (local.set $i (i32.add (local.get $i) (i32.const 16)))',
    '      (local.set $j (i32.add (local.get $j) (i32.const 16)))',
    '      (br $v)))',
    '    (block $sdone (loop $s',
    '      (br_if $sdone (i32.ge_u (local.get $j) (local.get $fb)))',
    ...body(scalar).map((l) => `      ${l}`),
    '      (local.set $i (i32.add (local.get $i) (i32.const 4)))',
    '      (local.set $j (i32.add (local.get $j) (i32.const 4)))',
    '      (br $s)))',
    '    (local.set $row (i32.add (local.get $row) (i32.const 1)))',
    '    (br $r)))',
    ')',
  ].join('\n');
}

const atChannel = (ptr: string): string => `i32.add (local.get $${ptr}) (local.get $j)`;
const zero = (o: Ops): string => (o.kind === 'vec' ? '(v128.const i32x4 0 0 0 0)' : '(f32.const 0)');
const max = (o: Ops, a: string, b: string): string => (o.kind === 'vec' ? `(f32x4.max ${a} ${b})` : `(f32.max ${a} ${b})`);

/**
 * biasRelu(z, a, bias, rows, f): z[r, j] += bias[j]; a = max(z, 0) (relu: NaN stays NaN,
 * -0 and -Infinity give +0). Reference: biasReluForward in ../reluEpilogue.ts.
 */
function biasRelu(): string {
  return rowLoop('biasRelu', '(param $z i32) (param $a i32) (param $bias i32) (param $rows i32) (param $f i32)', (o) => [
    set(o, 'x', o.op('add', o.load(at('z')), o.load(atChannel('bias')))),
    o.store(at('z'), get(o, 'x')),
    o.store(at('a'), max(o, get(o, 'x'), zero(o))),
  ], ['x']);
}

/** relu(z, a, n): a = max(z, 0) (no bias). */
function relu(): string {
  return loop('relu', '(param $z i32) (param $a i32) (param $n i32)', [], (o) => [
    o.store(at('a'), max(o, o.load(at('z')), zero(o))),
  ]);
}

const positive = (o: Ops, z: string): string => (o.kind === 'vec' ? `(f32x4.gt ${z} (v128.const i32x4 0 0 0 0))` : `(f32.gt ${z} (f32.const 0))`);
const choose = (o: Ops, yes: string, no: string, cond: string): string => (o.kind === 'vec' ? `(v128.bitselect ${yes} ${no} ${cond})` : `(select ${yes} ${no} ${cond})`);

/** reluBackward(z, dy, dx, n): dx = dy where z > 0, else +0 (activations.ts's relu gradient). */
function reluBackward(): string {
  return loop('reluBackward', '(param $z i32) (param $dy i32) (param $dx i32) (param $n i32)', [], (o) => [
    o.store(at('dx'), choose(o, o.load(at('dy')), zero(o), positive(o, o.load(at('z'))))),
  ], [], [], 2);
}

/** leakyRelu(z, a, n, alpha): a = z > 0 ? z : alpha*z; leakyReluBackward(z, dy, dx, n, alpha): dx = z > 0 ? dy : alpha*dy. */
function leakyRelu(): string {
  const fwd = loop('leakyRelu', '(param $z i32) (param $a i32) (param $n i32) (param $alpha f32)', ['alpha'], (o) => [
    set(o, 'x', o.load(at('z'))),
    o.store(at('a'), choose(o, get(o, 'x'), o.op('mul', o.splat('alpha'), get(o, 'x')), positive(o, get(o, 'x')))),
  ], ['x'], [], 2);
  const bwd = loop('leakyReluBackward', '(param $z i32) (param $dy i32) (param $dx i32) (param $n i32) (param $alpha f32)', ['alpha'], (o) => [
    set(o, 'd', o.load(at('dy'))),
    o.store(at('dx'), choose(o, get(o, 'd'), o.op('mul', o.splat('alpha'), get(o, 'd')), positive(o, o.load(at('z'))))),
  ], ['d'], [], 2);
  return [fwd, bwd].join('\n');
}

/**
 * reluBackwardBias(z, dy, dz, biasGrad, rows, f, withBias): dz = (dy where z > 0, else 0) + 0
 * (the + 0 turns -0 into +0, as the reference's branch-free form does);
 * when withBias, biasGrad[j] += dz[r, j] row after row. Reference: ../reluEpilogue.ts.
 */
function reluBackwardBias(): string {
  const mask = (o: Ops, z: string, dy: string): string => (o.kind === 'vec'
    ? `(f32x4.add (v128.and ${dy} (f32x4.gt ${z} (v128.const i32x4 0 0 0 0))) (v128.const i32x4 0 0 0 0))`
    : `(f32.add (select ${dy} (f32.const 0) (f32.gt ${z} (f32.const 0))) (f32.const 0))`);
  return rowLoop('reluBackwardBias', '(param $z i32) (param $dy i32) (param $dz i32) (param $bg i32) (param $rows i32) (param $f i32) (param $withBias i32)', (o) => [
    set(o, 'd', mask(o, o.load(at('z')), o.load(at('dy')))),
    o.store(at('dz'), get(o, 'd')),
    `(if (local.get $withBias) (then ${o.store(atChannel('bg'), o.op('add', o.load(atChannel('bg')), get(o, 'd')))}))`,
  ], ['d']);
}

/** The whole module's text. Memory is imported (shared, the GEMM instance's). */
export function opsWat(): string {
  return ['(module', '(import "env" "memory" (memory 1 32768 shared))', adam(), addInto(), scaleShift(), biasRelu(), relu(), reluBackwardBias(), reluBackward(), leakyRelu(), im2colFunctions(), poolFunctions(), ')'].join('\n');
}
