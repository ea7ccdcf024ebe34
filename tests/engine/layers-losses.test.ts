/**
 * Conformance: the fit loop's fused loss heads (src/engine/train/lossHeads.ts) against the
 * tensor engine's losses and autograd (src/engine/losses/): value and gradient with respect
 * to the model output (probabilities) or the logits (fused softmax / sigmoid), with and
 * without per-sample weights.
 */
import { test } from 'node:test';
import { Tensor } from '../../src/engine/tensor/index.ts';
import { losses } from '../../src/engine/losses/index.ts';
import { createLossHead, LOSS_HEADS, type LossHeadName } from '../../src/engine/train/index.ts';
import { softmaxRows } from '../../src/engine/layers/index.ts';
import { Rng } from '../../src/engine/rng.ts';
import { assertClose } from './helpers/modelHelpers.ts';

const batch = 5;
const cols = 4;
const r = new Rng(8);
const logits = Float32Array.from({ length: batch * cols }, () => r.normal() * 1.5);
const probs = new Float32Array(batch * cols);
softmaxRows(logits, probs, batch, cols);
const sig = logits.map((z) => 1 / (1 + Math.exp(-z)));
const weights = Float32Array.from({ length: batch }, () => r.float() * 2);

function labels(name: LossHeadName): Float32Array {
  switch (name) {
    case 'sparseCategoricalCrossentropy': return Float32Array.from({ length: batch }, () => r.int(cols));
    case 'categoricalCrossentropy': return Float32Array.from({ length: batch * cols }, (_, i) => (i % cols === (i * 7) % 3 ? 1 : 0));
    case 'binaryCrossentropy': return Float32Array.from({ length: batch * cols }, () => r.int(2));
    default: return Float32Array.from({ length: batch * cols }, () => r.normal());
  }
}

for (const name of LOSS_HEADS) {
  const finals: (string | undefined)[] = name === 'binaryCrossentropy' ? ['sigmoid', undefined] : name.includes('ategorical') ? ['softmax', undefined] : [undefined];
  for (const finalAct of finals) {
    for (const weighted of [false, true]) {
      test(`loss ${name}${finalAct ? ` fused with ${finalAct}` : ''}${weighted ? ', weighted' : ''}: head == tensor loss`, () => {
        const head = createLossHead(name, finalAct);
        const y = labels(name);
        const input = finalAct ? logits : name === 'binaryCrossentropy' ? sig : probs;
        const grad = new Float32Array(batch * cols);
        const w = weighted ? weights : null;
        const value = head.compute(input, y, batch, cols, cols, w, grad) / batch;

        const pred = new Tensor(Float32Array.from(input), [batch, cols], { requiresGrad: true });
        const yt = new Tensor(Float32Array.from(y), name === 'sparseCategoricalCrossentropy' ? [batch] : [batch, cols]);
        const loss = losses[name](yt, pred, {
          fromLogits: finalAct !== undefined,
          ...(w ? { sampleWeight: new Tensor(Float32Array.from(w), [batch]) } : {}),
        });
        loss.backward();
        assertClose([value], [loss.item()], `${name} value`, 1e-5, 1e-6);
        assertClose(grad, (pred.grad as Tensor).data, `${name} gradient`, 1e-4, 1e-6);
      });
    }
  }
}
