/**
 * The standard non-saturating GAN losses on the discriminator's logits z
 * (binary cross-entropy with logits, numerically stable):
 *   bce(z, 1) = softplus(-z) = max(-z, 0) + log1p(exp(-|z|))
 *   bce(z, 0) = softplus(z)  = max(z, 0) + log1p(exp(-|z|))
 *   d/dz bce(z, t) = sigmoid(z) - t
 * Each loss is the mean over every logit of the batch (one per sample for a
 * single-logit discriminator), as PyTorch's BCEWithLogitsLoss(reduction='mean').
 */

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** bce(z, t) for t in {0, 1} (any t in [0, 1] works). */
export function bceWithLogits(z: number, t: number): number {
  return Math.max(z, 0) - z * t + Math.log1p(Math.exp(-Math.abs(z)));
}

/**
 * Mean of bce(z_i, target) over `n` logits; writes dLoss/dz_i (times `scale`) into `grad` when given.
 * Returns the loss and the fraction of logits on the target's side (z > 0 for 1, z < 0 for 0).
 */
export function bceLogitsMean(
  z: Float32Array, n: number, target: 0 | 1, grad: Float32Array | null,
): { loss: number; accuracy: number } {
  let sum = 0;
  let right = 0;
  const inv = 1 / n;
  for (let i = 0; i < n; i++) {
    const v = z[i];
    sum += bceWithLogits(v, target);
    if (target === 1 ? v > 0 : v < 0) right++;
    if (grad) grad[i] = (sigmoid(v) - target) * inv;
  }
  return { loss: sum * inv, accuracy: right * inv };
}
