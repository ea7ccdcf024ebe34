/**
 * The product's whole loop over HTTP on a Fashion-MNIST subset (2000 training
 * and 500 test images, committed): upload the gzipped IDX files, submit the
 * seed's model, follow the event stream to the end, download the weights,
 * and check that /predict equals the engine's own forward pass on the
 * downloaded weights, with a test accuracy a person would expect.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { createTestApp } from '../helpers/app.ts';
import { multipartBody } from '../helpers/multipart.ts';
import { readSse } from '../api/job-outputs-helpers.ts';
import { Sequential, readIdx } from '../../src/engine/index.ts';

const DIR = 'tests/fixtures/fashion-mnist-subset';
const file = (name: string) => new Uint8Array(readFileSync(`${DIR}/${name}`));

const spec = {
  inputShape: [28, 28],
  layers: [
    { type: 'rescaling', scale: 1 / 255 },
    { type: 'flatten' },
    { type: 'dense', units: 128, activation: 'relu' },
    { type: 'dense', units: 10, activation: 'softmax' },
  ],
};

test('upload, train, follow events, download, predict: predict equals the engine on the downloaded weights', { timeout: 300_000 }, async (t) => {
  const app = await createTestApp({ withWorker: true });
  t.after(() => app.close());
  await app.app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.app.server.address();
  assert.ok(addr && typeof addr !== 'string');
  const base = `http://127.0.0.1:${addr.port}`;

  // Upload, gzipped, as a user would.
  const form = multipartBody([
    { name: 'format', value: 'idx' },
    { name: 'name', value: 'fashion-mnist-2000' },
    { name: 'x', filename: 'train-images-idx3-ubyte.gz', content: file('train-images-idx3-ubyte.gz') },
    { name: 'y', filename: 'train-labels-idx1-ubyte.gz', content: file('train-labels-idx1-ubyte.gz') },
  ]);
  const up = await fetch(`${base}/v1/datasets`, { method: 'POST', headers: { ...app.auth, ...form.headers }, body: form.payload });
  const dataset = (await up.json()) as { id: string; count: number; sampleShape: number[]; numClasses: number };
  assert.equal(up.status, 201, JSON.stringify(dataset));
  assert.equal(dataset.count, 2000);
  assert.deepEqual(dataset.sampleShape, [28, 28]);
  assert.equal(dataset.numClasses, 10);

  const sub = await fetch(`${base}/v1/jobs`, {
    method: 'POST',
    headers: { ...app.auth, 'content-type': 'application/json' },
    body: JSON.stringify({
      datasetId: dataset.id,
      model: spec,
      training: { optimizer: { type: 'adam', learningRate: 0.001 }, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'], epochs: 5, batchSize: 32, validationSplit: 0.1, seed: 1 },
    }),
  });
  const job = (await sub.json()) as { id: string; status: string };
  assert.equal(sub.status, 201, JSON.stringify(job));

  // Follow the event stream until the server ends it.
  const stream = await readSse(`${base}/v1/jobs/${job.id}/events`, app.auth, undefined, 240_000);
  assert.equal(stream.ended, true);
  const end = stream.events.find((e) => e.event === 'end');
  assert.deepEqual(end?.data, { status: 'succeeded' });
  const statuses = stream.events.filter((e) => e.event === 'status').map((e) => (e.data as { status: string }).status);
  assert.ok(statuses.includes('succeeded'), statuses.join());
  const lossSteps = stream.events
    .filter((e) => e.event === 'metric')
    .flatMap((e) => (e.data as { points: Array<{ series: string; step: number }> }).points)
    .filter((p) => p.series === 'loss')
    .map((p) => p.step);
  const steps = 5 * Math.ceil(1800 / 32);
  assert.deepEqual(lossSteps, Array.from({ length: steps }, (_, i) => i + 1), 'every step streamed once, in order');

  // Download the weights and run them in the engine.
  const w = await fetch(`${base}/v1/jobs/${job.id}/weights?format=safetensors`, { headers: app.auth });
  assert.equal(w.status, 200);
  const bytes = new Uint8Array(await w.arrayBuffer());
  assert.equal(Number(w.headers.get('content-length')), bytes.byteLength);
  const local = Sequential.fromSpec(spec, { seed: 0 });
  local.loadWeights(bytes);

  const testX = readIdx(new Uint8Array(gunzipSync(file('t10k-images-idx3-ubyte.gz'))));
  const testY = readIdx(new Uint8Array(gunzipSync(file('t10k-labels-idx1-ubyte.gz'))));
  const n = testX.shape[0];
  const mine = local.predict({ data: Float32Array.from(testX.data), shape: testX.shape }).data;

  const inputs: number[][][] = [];
  for (let i = 0; i < n; i++) {
    const img: number[][] = [];
    for (let r = 0; r < 28; r++) img.push(Array.from(testX.data.subarray(i * 784 + r * 28, i * 784 + r * 28 + 28)));
    inputs.push(img);
  }
  const p = await fetch(`${base}/v1/jobs/${job.id}/predict`, { method: 'POST', headers: { ...app.auth, 'content-type': 'application/json' }, body: JSON.stringify({ inputs }) });
  const pred = (await p.json()) as { outputs: number[][]; classes: number[] };
  assert.equal(p.status, 200, JSON.stringify(pred).slice(0, 500));
  assert.equal(pred.outputs.length, n);
  let maxDiff = 0;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 10; c++) maxDiff = Math.max(maxDiff, Math.abs(pred.outputs[i][c] - mine[i * 10 + c]));
    if (pred.classes[i] === testY.data[i]) correct++;
  }
  assert.ok(maxDiff <= 1e-6, `predict vs engine on downloaded weights: max |diff| ${maxDiff}`);
  const accuracy = correct / n;
  t.diagnostic(`test accuracy on 500 held-out images after 2000 training images: ${accuracy.toFixed(3)}`);
  assert.ok(accuracy > 0.7, `accuracy ${accuracy}`);
});
