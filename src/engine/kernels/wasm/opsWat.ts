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
 */

/** f32x4 and scalar forms of the same expression, written once. */
export interface Ops {
  load(addr: string): string;
  store(addr: string, v: string): string;
  splat(name: string): string;
  op(name: 'add' | 'sub' | 'mul' | 'div' | 'pmin' | 'pmax', a: string, b: string): string;
  sqrt(a: string): string;
}

export const vec: Ops = {
  load: (a) => `(v128.load (${a}))`,
  store: (a, v) => `(v128.store (${a}) ${v})`,
  splat: (n) => `(local.get $${n}4)`,
  op: (name, a, b) => `(f32x4.${name} ${a} ${b})`,
  sqrt: (a) => `(f32x4.sqrt ${a})`,
};

// pmin(a, b) = b < a ? b : a and pmax(a, b) = a < b ? b : a, as f32x4.pmin/pmax define them.
export const scalar: Ops = {
  load: (a) => `(f32.load (${a}))`,
  store: (a, v) => `(f32.store (${a}) ${v})`,
  splat: (n) => `(local.get $${n})`,
  op: (name, a, b) => (name === 'pmin'
    ? `(select ${b} ${a} (f32.lt ${b} ${a}))`
    : name === 'pmax'
      ? `(select ${b} ${a} (f32.lt ${a} ${b}))`
      : `(f32.${name} ${a} ${b})`),
  sqrt: (a) => `(f32.sqrt ${a})`,
};

export const at = (ptr: string): string => `i32.add (local.get $${ptr}) (local.get $i)`;

/**
 * A loop over elements: `body(ops)` for 4 lanes while 4 remain, then for 1. `$i` is the
 * byte offset, `$end` the end (n*4). Each f32 parameter `$x` also exists splatted as `$x4`;
 * each name in `locals` exists as f32 `$x` and v128 `$xv`; `prelude` runs before the splats.
 */
export function loop(name: string, params: string, f32Params: string[], body: (o: Ops) => string[], locals: string[] = [], prelude: string[] = []): string {
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
export const L = (o: Ops, name: string): string => (o === vec ? `$${name}v` : `$${name}`);
export const get = (o: Ops, name: string): string => `(local.get ${L(o, name)})`;
export const set = (o: Ops, name: string, v: string): string => `(local.set ${L(o, name)} ${v})`;

/**
 * adam(w, g, m, v, n, scale, clip, l2, shrink, b1, c1, b2, c2, stepSize, rbc2, eps), per element:
 *   g' = pmax(pmin(g*scale, clip), -clip); w' = w*shrink; g' = g' + l2*w'
 *   m = m*b1 + g'*c1; v = v*b2 + (g'*g')*c2
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
      o.store(at('m'), get(o, 'mi')),
      o.store(at('v'), get(o, 'vi')),
      o.store(at('w'), o.op('sub', get(o, 'wi'), o.op('mul', s('stepSize'), o.op('div', get(o, 'mi'), o.op('add', o.op('mul', o.sqrt(get(o, 'vi')), s('rbc2')), s('eps')))))),
    ];
  };
  return loop('adam', params, fs, body, ['gi', 'wi', 'mi', 'vi'], ['(local.set $nclip (f32.neg (local.get $clip)))']);
}

/** addInto(dst, src, n): dst += src. */
function addInto(): string {
  return loop('addInto', '(param $dst i32) (param $src i32) (param $n i32)', [], (o) => [
    o.store(at('dst'), o.op('add', o.load(at('dst')), o.load(at('src')))),
  ]);
}

/** The whole module's text. Memory is imported (shared, the GEMM instance's). */
export function opsWat(): string {
  return ['(module', '(import "env" "memory" (memory 1 32768 shared))', adam(), addInto(), ')'].join('\n');
}
