/**
 * Training throughput of the Fashion-MNIST LSTM of examples/fashion-mnist-lstm.ts (each
 * image as 28 rows of 28 pixels: lstm 64 → dense 10 softmax; Adam 1e-3, sparse categorical
 * cross-entropy) at batch 64 on random [28, 28] data, in Trainyard (WebAssembly SIMD
 * kernels; the plain TypeScript ones timed once) and in PyTorch at its best setting here:
 * one thread, OPENBLAS_NUM_THREADS=1, OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed from the
 * child's environment only, the faster of its oneDNN (mkldnn) RNN kernels on and off
 * (picked by a short run of each first).
 *
 * Trainyard and PyTorch take turns (bench/turns.ts): `--rounds` rounds of a `--steps`-step
 * turn each; it prints the medians and the spread of the per-round ratios.
 *
 *   node --import tsx bench/lstm.ts [--steps 30] [--rounds 8] [--batch 64] [--plain-steps 20]
 */
import { LSTM_SPEC } from './models.ts';
import { compareWithTorch } from './compare-torch.ts';

await compareWithTorch({
  title: 'LSTM 64 over 28 steps of 28 features → dense 10, Adam',
  spec: LSTM_SPEC,
  script: './torch_lstm.py',
  settingKey: 'setting',
  defaults: { steps: 30, rounds: 8, batch: 64, plainSteps: 20 },
});
