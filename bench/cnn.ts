/**
 * Training throughput of the Fashion-MNIST CNN of examples/fashion-mnist-cnn.ts (conv2d 16
 * 3x3 relu same → maxPooling2d → conv2d 32 3x3 relu same → maxPooling2d → flatten → dense
 * 10 softmax; Adam 1e-3, sparse categorical cross-entropy) at batch 64 on random 28x28x1
 * data, in Trainyard (WebAssembly SIMD kernels; the plain TypeScript ones timed once) and in
 * PyTorch at its best setting here: one thread, OPENBLAS_NUM_THREADS=1, OPENBLAS_CORETYPE /
 * OPENBLAS_L2_SIZE removed from the child's environment only, the faster of its NCHW and
 * channels_last memory formats (picked by a short run of each first).
 *
 * Trainyard and PyTorch take turns (bench/turns.ts): `--rounds` rounds of a `--steps`-step
 * turn each; it prints the medians and the spread of the per-round ratios.
 *
 *   node --import tsx bench/cnn.ts [--steps 30] [--rounds 8] [--batch 64] [--plain-steps 20]
 */
import { CNN_SPEC } from './models.ts';
import { compareWithTorch } from './compare-torch.ts';

await compareWithTorch({
  title: 'CNN conv16(same)-pool-conv32(same)-pool-dense10 on 28x28x1, Adam',
  spec: CNN_SPEC,
  script: './torch_cnn.py',
  settingKey: 'format',
  defaults: { steps: 30, rounds: 8, batch: 64, plainSteps: 20 },
});
