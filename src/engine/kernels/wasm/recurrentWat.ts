/**
 * Source of the WebAssembly recurrent-gates module (WebAssembly text): the fused per-timestep
 * kernels of `../recurrentGates.ts` (LSTM / GRU / simpleRNN forward and backward with sigmoid
 * and tanh, the bias-gradient column sum), over the GEMM instance's shared memory.
 *
 * Each kernel loops over rows b < B and, within a row, over units j four at a time
 * (f32x4), then the tail one at a time. The tail runs the SAME vector instructions on a
 * splatted scalar (load → f32x4.splat, store ← lane 0), so the code is written once and
 * every element goes through the same float32 operations as the reference, in the same
 * order: results are equal bit for bit. Addresses are bytes; sizes are elements.
 */
import { EXP_C1, EXP_C2, EXP_CLAMP, EXP_LOG2E, EXP_P, EXP_ROUND, TANH_P, TANH_SMALL } from '../recurrentGates.ts';

const f32Bits = (v: number): string => {
  const u = new Uint32Array(new Float32Array([v]).buffer)[0];
  return `0x${u.toString(16).padStart(8, '0')}`;
};
/** A splatted f32 constant, written as its exact bits (hoisting these into locals measured no faster). */
const K = (v: number): string => {
  const b = f32Bits(v);
  return `(v128.const i32x4 ${b} ${b} ${b} ${b})`;
};
const SIGN = '(v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000)';
const ONE = K(1);

const v = (op: string, ...args: string[]): string => `(${op} ${args.join(' ')})`;
const add = (a: string, b: string): string => v('f32x4.add', a, b);
const sub = (a: string, b: string): string => v('f32x4.sub', a, b);
const mul = (a: string, b: string): string => v('f32x4.mul', a, b);
const div = (a: string, b: string): string => v('f32x4.div', a, b);

/** How a pass reads and writes element j of gate slice k of a row (vector: 4 lanes; tail: 1). */
interface Mem {
  ld(ptr: string, k?: number): string;
  st(ptr: string, k: number, val: string): string;
}

const addr = (ptr: string, k: number): string =>
  (k === 0 ? `(i32.add (local.get $${ptr}) (local.get $j))` : `(i32.add (local.get $${ptr}) (i32.add (local.get $j) (local.get $o${k})))`);

const vecMem: Mem = {
  ld: (p, k = 0) => `(v128.load ${addr(p, k)})`,
  st: (p, k, val) => `(v128.store ${addr(p, k)} ${val})`,
};
const tailMem: Mem = {
  ld: (p, k = 0) => `(f32x4.splat (f32.load ${addr(p, k)}))`,
  st: (p, k, val) => `(f32.store ${addr(p, k)} (f32x4.extract_lane 0 ${val}))`,
};

/** Collects a body's lines and its v128 locals. */
class Body {
  readonly lines: string[] = [];
  readonly locals = new Set<string>();
  set(name: string, expr: string): string {
    this.locals.add(name);
    this.lines.push(`(local.set $v_${name} ${expr})`);
    return `(local.get $v_${name})`;
  }
  emit(line: string): void {
    this.lines.push(line);
  }

  /** e^a for a in [−87, 0] (or NaN): `expNegF32`. */
  expNeg(out: string, a: string): string {
    const av = this.set(`${out}_a`, a);
    // m = a·log2e + 1.5·2^23 holds n = round(a·log2e) in its low mantissa bits (bits(m) = 0x4b400000 + n),
    // so (bits(m) + 127) << 23 = bits(2^n) (0x4b400000 << 23 overflows to 0) and t = m − 1.5·2^23 = n.
    const m = this.set(`${out}_m`, add(mul(av, K(EXP_LOG2E)), K(EXP_ROUND)));
    const t = this.set(`${out}_t`, sub(m, K(EXP_ROUND)));
    let r = this.set(`${out}_r`, sub(av, mul(t, K(EXP_C1))));
    r = this.set(`${out}_r`, sub(r, mul(t, K(EXP_C2))));
    const z = this.set(`${out}_z`, mul(r, r));
    let p = this.set(`${out}_p`, add(mul(K(EXP_P[0]), r), K(EXP_P[1])));
    for (let i = 2; i < EXP_P.length; i++) p = this.set(`${out}_p`, add(mul(p, r), K(EXP_P[i])));
    const y = add(add(mul(p, z), r), ONE);
    const scale = v('i32x4.shl', v('i32x4.add', m, '(v128.const i32x4 127 127 127 127)'), '(i32.const 23)');
    return this.set(out, mul(y, scale));
  }

  /** `sigmoidF32`. */
  sigmoid(out: string, x: string): string {
    const xv = this.set(`${out}_x`, x);
    const ax = this.set(`${out}_ax`, v('f32x4.abs', xv));
    let e = this.expNeg(`${out}_e`, v('f32x4.neg', v('f32x4.min', ax, K(EXP_CLAMP))));
    e = this.set(`${out}_e`, v('v128.andnot', e, v('f32x4.gt', ax, K(EXP_CLAMP))));
    const p = this.set(`${out}_p`, div(ONE, add(ONE, e)));
    return this.set(out, v('v128.bitselect', mul(e, p), p, v('f32x4.lt', xv, K(0))));
  }

  /** `tanhF32`. */
  tanh(out: string, x: string): string {
    const xv = this.set(`${out}_x`, x);
    const ax = this.set(`${out}_ax`, v('f32x4.abs', xv));
    const s = this.set(`${out}_s`, mul(xv, xv));
    let q = this.set(`${out}_q`, add(mul(K(TANH_P[0]), s), K(TANH_P[1])));
    for (let i = 2; i < TANH_P.length; i++) q = this.set(`${out}_q`, add(mul(q, s), K(TANH_P[i])));
    const small = this.set(`${out}_small`, add(mul(mul(q, s), xv), xv));
    const e = this.expNeg(`${out}_e`, v('f32x4.neg', v('f32x4.min', add(ax, ax), K(EXP_CLAMP))));
    const big = v('v128.or', div(sub(ONE, e), add(ONE, e)), v('v128.and', xv, SIGN));
    return this.set(out, v('v128.bitselect', small, big, v('f32x4.lt', ax, K(TANH_SMALL))));
  }
}

/**
 * A kernel over B rows of u elements: `ptrs` are i32 byte-address params advanced after
 * each row by `stride`·u elements (0: a per-unit vector, e.g. a bias); `body` is written
 * once for both passes.
 */
function rowKernel(name: string, ptrs: Array<[string, number]>, body: (m: Mem, b: Body) => void): string {
  const vec = new Body();
  body(vecMem, vec);
  const tail = new Body();
  body(tailMem, tail);
  const locals = new Set([...vec.locals, ...tail.locals]);
  const strides = [...new Set(ptrs.map(([, s]) => s).filter((s) => s > 0))];
  return [
    `(func (export "${name}") ${ptrs.map(([p]) => `(param $${p} i32)`).join(' ')} (param $B i32) (param $u i32)`,
    '  (local $b i32) (local $j i32) (local $u4 i32) (local $u4v i32) (local $o1 i32) (local $o2 i32) (local $o3 i32)',
    ...strides.map((s) => `  (local $stride${s} i32)`),
    ...[...locals].map((l) => `  (local $v_${l} v128)`),
    '  (local.set $u4 (i32.shl (local.get $u) (i32.const 2)))',
    '  (local.set $u4v (i32.and (local.get $u4) (i32.const -16)))',
    '  (local.set $o1 (local.get $u4))',
    '  (local.set $o2 (i32.add (local.get $o1) (local.get $u4)))',
    '  (local.set $o3 (i32.add (local.get $o2) (local.get $u4)))',
    ...strides.map((s) => `  (local.set $stride${s} (i32.mul (local.get $u4) (i32.const ${s})))`),
    '  (block $done (loop $rows',
    '    (br_if $done (i32.ge_u (local.get $b) (local.get $B)))',
    '    (local.set $j (i32.const 0))',
    '    (block $vdone (loop $v',
    '      (br_if $vdone (i32.ge_u (local.get $j) (local.get $u4v)))',
    ...vec.lines.map((l) => `      ${l}`),
    '      (local.set $j (i32.add (local.get $j) (i32.const 16)))',
    '      (br $v)))',
    '    (block $sdone (loop $s',
    '      (br_if $sdone (i32.ge_u (local.get $j) (local.get $u4)))',
    ...tail.lines.map((l) => `      ${l}`),
    '      (local.set $j (i32.add (local.get $j) (i32.const 4)))',
    '      (br $s)))',
    ...ptrs.filter(([, s]) => s > 0).map(([p, s]) => `    (local.set $${p} (i32.add (local.get $${p}) (local.get $stride${s})))`),
    '    (local.set $b (i32.add (local.get $b) (i32.const 1)))',
    '    (br $rows)))',
    ')',
  ].join('\n');
}

/** pre-activation of gate k: (g + b_ih) + (rec + b_hh). */
const pre = (m: Mem, k: number, g = 'g', rec = 'rec'): string => add(add(m.ld(g, k), m.ld('bih', k)), add(m.ld(rec, k), m.ld('bhh', k)));

function lstmForward(): string {
  return rowKernel('lstmForward', [['g', 4], ['rec', 4], ['bih', 0], ['bhh', 0], ['cp', 1], ['cn', 1], ['tc', 1], ['hn', 1]], (m, b) => {
    const i = b.sigmoid('i', pre(m, 0));
    const fg = b.sigmoid('f', pre(m, 1));
    const gg = b.tanh('gg', pre(m, 2));
    const o = b.sigmoid('o', pre(m, 3));
    b.emit(m.st('g', 0, i));
    b.emit(m.st('g', 1, fg));
    b.emit(m.st('g', 2, gg));
    b.emit(m.st('g', 3, o));
    const c = b.set('c', add(mul(fg, m.ld('cp')), mul(i, gg)));
    const t = b.tanh('t', c);
    b.emit(m.st('cn', 0, c));
    b.emit(m.st('tc', 0, t));
    b.emit(m.st('hn', 0, mul(o, t)));
  });
}

function lstmBackward(): string {
  return rowKernel('lstmBackward', [['g', 4], ['dG', 4], ['dhSeq', 1], ['dhNext', 1], ['cp', 1], ['tc', 1], ['dc', 1]], (m, b) => {
    const i = b.set('i', m.ld('g', 0));
    const fg = b.set('f', m.ld('g', 1));
    const gg = b.set('gg', m.ld('g', 2));
    const o = b.set('o', m.ld('g', 3));
    const t = b.set('t', m.ld('tc'));
    const dh = b.set('dh', add(m.ld('dhSeq'), m.ld('dhNext')));
    b.emit(m.st('dG', 3, mul(mul(dh, t), mul(o, sub(ONE, o)))));
    const dt = mul(mul(dh, o), sub(ONE, mul(t, t)));
    const d = b.set('d', add(m.ld('dc'), dt));
    b.emit(m.st('dG', 0, mul(mul(d, gg), mul(i, sub(ONE, i)))));
    b.emit(m.st('dG', 1, mul(mul(d, m.ld('cp')), mul(fg, sub(ONE, fg)))));
    b.emit(m.st('dG', 2, mul(mul(d, i), sub(ONE, mul(gg, gg)))));
    b.emit(m.st('dc', 0, mul(d, fg)));
  });
}

function gruForward(): string {
  return rowKernel('gruForward', [['g', 3], ['hp', 3], ['bih', 0], ['bhh', 0], ['hPrev', 1], ['hn', 1]], (m, b) => {
    const hr = b.set('hr', add(m.ld('hp', 0), m.ld('bhh', 0)));
    const hz = b.set('hz', add(m.ld('hp', 1), m.ld('bhh', 1)));
    const hn = b.set('hnn', add(m.ld('hp', 2), m.ld('bhh', 2)));
    b.emit(m.st('hp', 0, hr));
    b.emit(m.st('hp', 1, hz));
    b.emit(m.st('hp', 2, hn));
    const r = b.sigmoid('r', add(add(m.ld('g', 0), m.ld('bih', 0)), hr));
    const z = b.sigmoid('z', add(add(m.ld('g', 1), m.ld('bih', 1)), hz));
    const n = b.tanh('n', add(add(m.ld('g', 2), m.ld('bih', 2)), mul(r, hn)));
    b.emit(m.st('g', 0, r));
    b.emit(m.st('g', 1, z));
    b.emit(m.st('g', 2, n));
    b.emit(m.st('hn', 0, add(mul(sub(ONE, z), n), mul(z, m.ld('hPrev')))));
  });
}

function gruBackward(): string {
  return rowKernel('gruBackward', [['g', 3], ['hp', 3], ['dGi', 3], ['dGh', 3], ['dhSeq', 1], ['dhNext', 1], ['dhRec', 1], ['hPrev', 1]], (m, b) => {
    const r = b.set('r', m.ld('g', 0));
    const z = b.set('z', m.ld('g', 1));
    const n = b.set('n', m.ld('g', 2));
    const dh = b.set('dh', add(m.ld('dhSeq'), add(m.ld('dhNext'), m.ld('dhRec'))));
    const dn = b.set('dn', mul(mul(dh, sub(ONE, z)), sub(ONE, mul(n, n))));
    const dz = b.set('dz', mul(mul(dh, sub(m.ld('hPrev'), n)), mul(z, sub(ONE, z))));
    const dr = b.set('dr', mul(mul(dn, m.ld('hp', 2)), mul(r, sub(ONE, r))));
    b.emit(m.st('dGi', 0, dr));
    b.emit(m.st('dGi', 1, dz));
    b.emit(m.st('dGi', 2, dn));
    b.emit(m.st('dGh', 0, dr));
    b.emit(m.st('dGh', 1, dz));
    b.emit(m.st('dGh', 2, mul(dn, r)));
    b.emit(m.st('dhNext', 0, mul(dh, z)));
  });
}

function rnnForward(): string {
  return rowKernel('rnnForward', [['g', 1], ['rec', 1], ['bih', 0], ['bhh', 0], ['hn', 1]], (m, b) => {
    b.emit(m.st('hn', 0, b.tanh('h', pre(m, 0))));
  });
}

function rnnBackward(): string {
  return rowKernel('rnnBackward', [['dG', 1], ['dhSeq', 1], ['dhNext', 1], ['h', 1]], (m, b) => {
    const h = b.set('h', m.ld('h'));
    b.emit(m.st('dG', 0, mul(add(m.ld('dhSeq'), m.ld('dhNext')), sub(ONE, mul(h, h)))));
  });
}

/** colSum(dst, m, rows, cols): the row loop with dst fixed. */
function colSum(): string {
  return rowKernel('colSum', [['dst', 0], ['m', 1]], (m, b) => {
    b.emit(m.st('dst', 0, add(m.ld('dst'), m.ld('m'))));
  });
}

/** In-place activations over n elements (for tests and plain ranges): one row of n. */
function unary(name: 'sigmoid' | 'tanh'): string {
  return rowKernel(name, [['x', 1]], (m, b) => {
    b.emit(m.st('x', 0, b[name]('y', m.ld('x'))));
  });
}

/** The whole module's text. Memory is imported (shared, the GEMM instance's). */
export function recurrentWat(): string {
  return [
    '(module',
    '(import "env" "memory" (memory 1 32768 shared))',
    lstmForward(), lstmBackward(), gruForward(), gruBackward(), rnnForward(), rnnBackward(), colSum(), unary('sigmoid'), unary('tanh'),
    ')',
  ].join('\n');
}
