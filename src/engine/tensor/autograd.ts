/**
 * The backward walker: topological sort of the tape, then one reverse loop applying the
 * rule table. Broadcasting is undone here, once: a gradient with a broadcast shape is summed
 * back to its input's shape. Leaves that require grad accumulate (+=) into `grad`.
 */
import { backwardRules } from './backwardRules.ts';
import { noGrad } from './gradMode.ts';
import { broadcastAxes, shapesEqual } from './shape.ts';
import type { GradTensor } from './gradTensor.ts';

/** Nodes that require grad, inputs before outputs (iterative, so deep RNN tapes are fine). */
export function topologicalOrder(root: GradTensor): GradTensor[] {
  const order: GradTensor[] = [];
  const visited = new Set<GradTensor>();
  const stack: [GradTensor, boolean][] = [[root, false]];
  while (stack.length > 0) {
    const [node, expanded] = stack.pop()!;
    if (expanded) {
      order.push(node);
      continue;
    }
    if (visited.has(node)) continue;
    visited.add(node);
    stack.push([node, true]);
    for (const input of node.inputs) {
      if (input.requiresGrad && !visited.has(input)) stack.push([input, false]);
    }
  }
  return order;
}

function unbroadcast(g: GradTensor, shape: readonly number[]): GradTensor {
  if (shapesEqual(g.shape, shape)) return g;
  return g.sum(broadcastAxes(shape, g.shape), true).reshape(shape);
}

export function runBackward(root: GradTensor, seed: GradTensor): void {
  const order = topologicalOrder(root);
  const grads = new Map<GradTensor, GradTensor>([[root, seed]]);
  noGrad(() => {
    for (let i = order.length - 1; i >= 0; i--) {
      const node = order[i];
      const g = grads.get(node);
      if (g === undefined) continue;
      grads.delete(node);
      if (node.op === null) {
        node.accumulateGrad(g);
        continue;
      }
      const need = node.inputs.map((t) => t.requiresGrad);
      const inputGrads = backwardRules[node.op](g, node.inputs, node, node.ctx, need);
      node.inputs.forEach((input, k) => {
        const gk = inputGrads[k];
        if (!need[k] || !gk) return;
        const reduced = unbroadcast(gk, input.shape);
        const prev = grads.get(input);
        grads.set(input, prev ? prev.add(reduced) : reduced);
      });
    }
  });
}
