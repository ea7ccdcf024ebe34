/**
 * The whole of autograd's calculus: one backward rule per primitive.
 *
 * A rule gets the gradient `g` of the node's output, the node's inputs, the output itself
 * and the op context, and returns one gradient per input (null for "none"). A rule may
 * return a gradient with the *output's* (broadcast) shape: the walker sums it back to the
 * input's shape once, so no rule deals with broadcasting. Rules run with recording off.
 * `need[i]` says whether input i wants a gradient; only matmul uses it to skip work.
 */
import type { GradTensor } from './gradTensor.ts';
import type { OpContext, PrimitiveOp } from './opContext.ts';

export type BackwardRule = (
  g: GradTensor, inputs: readonly GradTensor[], out: GradTensor, ctx: OpContext, need: readonly boolean[],
) => (GradTensor | null)[];

const SQRT_PI_INV_2 = 2 / Math.sqrt(Math.PI);

export const backwardRules: Record<PrimitiveOp, BackwardRule> = {
  add: (g) => [g, g],
  mul: (g, [a, b]) => [g.mul(b), g.mul(a)],
  div: (g, [, b], out) => [g.div(b), g.mul(out).div(b).neg()],
  neg: (g) => [g.neg()],
  exp: (g, _, out) => [g.mul(out)],
  log: (g, [a]) => [g.div(a)],
  log1p: (g, [a]) => [g.div(a.add(1))],
  sqrt: (g, _, out) => [g.div(out.mul(2))],
  sigmoid: (g, _, out) => [g.mul(out.mul(out.neg().add(1)))],
  tanh: (g, _, out) => [g.mul(out.mul(out).neg().add(1))],
  erf: (g, [a]) => [g.mul(a.mul(a).neg().exp().mul(SQRT_PI_INV_2))],
  where: (g, [c]) => [null, c.select(g, 0), c.select(0, g)],
  sum: (g, [a], _, ctx) => [g.reshape(ctx.keptShape!).expand(a.shape)],
  // Ties share the gradient equally (as torch.amax does).
  max: (g, [a], out, ctx) => {
    const hit = a.eq(out.reshape(ctx.keptShape!));
    return [hit.mul(g.reshape(ctx.keptShape!)).div(hit.sum(ctx.axes, true))];
  },
  reshape: (g, [a]) => [g.reshape(a.shape)],
  permute: (g, _, __, ctx) => [g.permute(inversePermutation(ctx.perm!))],
  expand: (g) => [g],
  slice: (g, [a], _, ctx) => [g.pad(ctx.begin!.map((b, d) => [b, a.shape[d] - b - ctx.size![d]]))],
  pad: (g, [a], _, ctx) => [g.slice(ctx.paddings!.map((p) => p[0]), a.shape)],
  concat: (g, inputs, _, ctx) => inputs.map((t, i) => g.narrow(ctx.axis!, ctx.offsets![i], t.shape[ctx.axis!])),
  matmul: (g, [a, b], _, ctx, need) => matmulGrads(g, a, b, ctx.transposeA!, ctx.transposeB!, need),
};

/**
 * C = op(A)·op(B). Each gradient is one more matmul with transposed-operand flags, so the
 * transposed-operand kernels do the work and no transposed copy is ever made.
 */
function matmulGrads(
  g: GradTensor, a: GradTensor, b: GradTensor, ta: boolean, tb: boolean, need: readonly boolean[],
): (GradTensor | null)[] {
  let da: () => GradTensor;
  let db: () => GradTensor;
  if (!ta && !tb) {
    da = () => g.matmul(b, false, true);
    db = () => a.matmul(g, true, false);
  } else if (!ta && tb) {
    da = () => g.matmul(b, false, false);
    db = () => g.matmul(a, true, false);
  } else if (ta && !tb) {
    da = () => b.matmul(g, false, true);
    db = () => a.matmul(g, false, false);
  } else {
    da = () => b.matmul(g, true, true);
    db = () => g.matmul(a, true, true);
  }
  return [need[0] ? da() : null, need[1] ? db() : null];
}

export function inversePermutation(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}
