/**
 * GAN job submissions over HTTP (no worker): what is stored for a valid one,
 * and every refusal, a 422 naming the field or the layer, before anything is
 * queued; options that do not apply to a GAN are refused, never ignored.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { mlpSpec, storeBlobs } from '../helpers/datasets.ts';
import { discriminatorSpec, generatorSpec, storeSquares } from '../helpers/gan-data.ts';

let t: TestApp;
let imagesId: string;
let vectorsId: string;

before(async () => {
  t = await createTestApp({ limits: { maxParams: 20_000 } });
  const tenantId = (await t.db.prisma.tenant.findUniqueOrThrow({ where: { name: 'default' } })).id;
  imagesId = await storeSquares(t.db.prisma, tenantId, 64);
  vectorsId = await storeBlobs(t.db.prisma, tenantId, { count: 64, features: 8 });
});
after(async () => {
  await t?.close();
});

const gan = () => ({ generator: generatorSpec(), discriminator: discriminatorSpec() });
const submit = (payload: Record<string, unknown>) => t.app.inject({ method: 'POST', url: '/v1/jobs', headers: t.auth, payload });

test('a gan job is stored with both specs, every default filled in, and a combined estimate', async () => {
  const r = await submit({ type: 'gan', datasetId: imagesId, gan: gan(), training: { epochs: 2, batchSize: 16, seed: 5 }, name: 'squares' });
  assert.equal(r.statusCode, 201, r.body);
  const job = r.json();
  assert.equal(job.type, 'gan');
  assert.equal(job.status, 'queued');
  assert.equal(job.modelId, null);
  assert.deepEqual(job.spec, gan());
  assert.deepEqual(job.training, {
    epochs: 2, batchSize: 16, shuffle: true, seed: 5, checkpoints: { keepLast: 3, minIntervalSeconds: 10 }, maxAttempts: 3,
    gan: {
      generatorOptimizer: { type: 'adam', learningRate: 0.0002, beta1: 0.5 },
      discriminatorOptimizer: { type: 'adam', learningRate: 0.0002, beta1: 0.5 },
      dSteps: 1, fixedSamples: 64, dataRange: 'auto',
    },
  });
  const gParams = 8 * 32 + 32 + 32 * 64 + 64;
  const dParams = 64 * 32 + 32 + 32 + 1;
  assert.equal(job.estimate.params, gParams + dParams);
  assert.ok(job.estimate.trainingFlops > 0 && job.estimate.trainingBytes > 0);

  const fetched = (await t.app.inject({ method: 'GET', url: `/v1/jobs/${job.id}`, headers: t.auth })).json();
  assert.equal(fetched.type, 'gan');
  assert.deepEqual(fetched.training, job.training);
  // Queued, no checkpoint yet: its samples, weights and predictions are a plain not_found (ask again later).
  for (const [method, url] of [['GET', 'samples.png'], ['GET', 'weights'], ['POST', 'predict']] as const) {
    const r = await t.app.inject({ method, url: `/v1/jobs/${job.id}/${url}`, headers: t.auth, ...(method === 'POST' ? { payload: { count: 1 } } : {}) });
    assert.equal(r.statusCode, 404, `${url}: ${r.body}`);
    assert.equal(r.json().code, 'not_found');
    assert.match(r.json().message, /has no checkpoint yet/);
  }

  // A GAN over vectors is fine too (no sample grid then).
  const vec = await submit({
    type: 'gan', datasetId: vectorsId,
    gan: { generator: { inputShape: [4], layers: [{ type: 'dense', units: 8 }] }, discriminator: { inputShape: [8], layers: [{ type: 'dense', units: 1, activation: 'sigmoid' }] }, dSteps: 2, dataRange: [-5, 5] },
    training: { epochs: 1, checkpoints: { keepLast: 2, bestMetric: 'd_acc_fake' } },
  });
  assert.equal(vec.statusCode, 201, vec.body);
  assert.deepEqual(vec.json().training.checkpoints, { keepLast: 2, minIntervalSeconds: 10, bestMetric: 'd_acc_fake', mode: 'max' });
  assert.deepEqual(vec.json().training.gan.dataRange, [-5, 5]);
});

test('what a gan job cannot run is refused with 422 before it is queued, naming the field', async () => {
  const before = await t.db.prisma.job.count();
  const base = { type: 'gan', datasetId: imagesId, training: { epochs: 1, batchSize: 16 } };
  const withTraining = (extra: Record<string, unknown>) => ({ ...base, gan: gan(), training: { ...base.training, ...extra } });
  const withGan = (extra: Record<string, unknown>) => ({ ...base, gan: { ...gan(), ...extra } });
  const cases: Array<[string, Record<string, unknown>, number, RegExp]> = [
    // Options that do not apply to GANs.
    ['loss', withTraining({ loss: 'mse' }), 422, /^training\.loss: gan jobs train with the standard non-saturating GAN loss/],
    ['optimizer', withTraining({ optimizer: 'adam' }), 422, /^training\.optimizer: .*gan\.generatorOptimizer and gan\.discriminatorOptimizer/],
    ['metrics', withTraining({ metrics: ['accuracy'] }), 422, /^training\.metrics: gan jobs always report d_loss, g_loss, d_acc_real, d_acc_fake/],
    ['validationSplit', withTraining({ validationSplit: 0.2 }), 422, /^training\.validationSplit: /],
    ['earlyStopping', withTraining({ earlyStopping: { monitor: 'g_loss' } }), 422, /^training\.earlyStopping: /],
    ['classWeight', withTraining({ classWeight: { 0: 2 } }), 422, /^training\.classWeight: /],
    ['augment', withTraining({ augment: { flipHorizontal: true } }), 422, /^training\.augment: /],
    ['threads', withTraining({ threads: 2 }), 422, /^training\.threads: /],
    ['exactAcrossThreads', withTraining({ exactAcrossThreads: true }), 422, /^training\.exactAcrossThreads: /],
    ['shuffle false', withTraining({ shuffle: false }), 422, /^training\.shuffle: /],
    ['lossEverySteps', withTraining({ lossEverySteps: 1 }), 422, /^training\.lossEverySteps: gan jobs record d_loss and g_loss every step/],
    ['bestMetric', withTraining({ checkpoints: { bestMetric: 'val_loss' } }), 422, /^training\.checkpoints\.bestMetric: "val_loss" is not a GAN metric/],
    ['mode without bestMetric', withTraining({ checkpoints: { mode: 'max' } }), 422, /^training\.checkpoints\.mode: only with checkpoints\.bestMetric/],
    // The shape of the request.
    ['model on a gan job', { ...base, gan: gan(), model: mlpSpec() }, 422, /^model: a gan job trains gan\.generator and gan\.discriminator/],
    ['modelId on a gan job', { ...base, gan: gan(), modelId: '00000000-0000-4000-8000-000000000000' }, 422, /^modelId: /],
    ['no gan', base, 422, /^gan: a gan job needs gan\.generator and gan\.discriminator/],
    ['gan on a train job', { datasetId: imagesId, model: mlpSpec(), gan: gan(), training: { loss: 'mse', epochs: 1 } }, 422, /^gan: only for jobs of type "gan"/],
    ['no loss on a train job', { datasetId: vectorsId, model: mlpSpec(), training: { epochs: 1 } }, 400, /loss/],
    ['missing discriminator', { ...base, gan: { generator: generatorSpec() } }, 400, /discriminator/],
    ['unknown gan field', withGan({ lambda: 10 }), 400, /additional properties|lambda/],
    ['dSteps 0', withGan({ dSteps: 0 }), 400, /dSteps/],
    // The specs, each on its own and against each other and the data.
    ['bad generator layer', withGan({ generator: { inputShape: [8], layers: [{ type: 'dense', units: -1 }] } }), 422, /^gan\.generator\.layers\[0\]\.units/],
    ['bad discriminator layer', withGan({ discriminator: { inputShape: [8, 8, 1], layers: [{ type: 'conv2d', filters: 0, kernelSize: 3 }] } }), 422, /^gan\.discriminator\.layers\[0\]\.filters/],
    ['generator input not a vector', withGan({ generator: { inputShape: [2, 4], layers: [{ type: 'flatten' }, { type: 'dense', units: 64 }, { type: 'reshape', targetShape: [8, 8, 1] }] } }), 422, /^gan\.generator\.inputShape: must be \[latentDim\]/],
    ['D input != G output', withGan({ discriminator: { inputShape: [64], layers: [{ type: 'dense', units: 1 }] } }), 422, /^gan\.discriminator\.inputShape \[64\] must equal the generator's output shape \[8, 8, 1\] \(gan\.generator\.layers\[2\]\)/],
    ['D outputs 2 values', withGan({ discriminator: { inputShape: [8, 8, 1], layers: [{ type: 'flatten' }, { type: 'dense', units: 2 }] } }), 422, /^gan\.discriminator\.layers\[1\]: the discriminator must output one value per sample.*\[2\]/],
    ['D ends in softmax', withGan({ discriminator: { inputShape: [8, 8, 1], layers: [{ type: 'flatten' }, { type: 'dense', units: 1, activation: 'tanh' }] } }), 422, /^gan\.discriminator\.layers\[1\]: the last activation must be linear \(a logit\) or sigmoid, got tanh/],
    ['G output != samples', { ...base, datasetId: vectorsId, gan: gan() }, 422, /^gan\.generator: its output \[8, 8, 1\] \(layers\[2\]\) must be shaped like the data set's samples \[8\]/],
    ['bad generator optimizer', withGan({ generatorOptimizer: { type: 'adam', learningRate: -1 } }), 422, /^gan\.generatorOptimizer\.learningRate/],
    ['bad discriminator optimizer', withGan({ discriminatorOptimizer: { type: 'nadam' } }), 422, /^gan\.discriminatorOptimizer/],
    ['empty dataRange', withGan({ dataRange: [1, 1] }), 422, /^gan\.dataRange: \[lo, hi\] needs hi > lo/],
    ['batch bigger than the data', { ...base, gan: { ...gan(), dSteps: 2 }, training: { epochs: 1, batchSize: 40 } }, 422, /^training\.batchSize: one step takes batchSize x gan\.dSteps = 80 real samples, but the data set has 64/],
    // Limits count both networks.
    ['too many params together', withGan({ discriminator: { inputShape: [8, 8, 1], layers: [{ type: 'flatten' }, { type: 'dense', units: 280 }, { type: 'dense', units: 1 }] } }), 422, /^the generator and the discriminator have 2400 \+ 18481 = 20881 parameters; this tenant's limit is 20000/],
  ];
  for (const [what, payload, status, message] of cases) {
    const r = await submit(payload);
    assert.equal(r.statusCode, status, `${what}: ${r.body}`);
    assert.match(r.json().message, message, `${what}: ${r.json().message}`);
  }
  assert.equal(await t.db.prisma.job.count(), before, 'nothing was queued');
});

test('the OpenAPI document describes gan jobs, their samples and predictions', async () => {
  const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
  assert.ok(doc.paths['/v1/jobs/{id}/samples.png']?.get, 'samples route');
  assert.ok(doc.paths['/v1/jobs/{id}/checkpoints/{checkpointId}/samples.png']?.get, 'per-checkpoint samples route');
  const body = doc.paths['/v1/jobs'].post.requestBody.content['application/json'].schema;
  assert.ok(JSON.stringify(body).includes('dSteps') && JSON.stringify(body).includes('dataRange'));
  const predict = doc.paths['/v1/jobs/{id}/predict'].post;
  assert.ok(predict.responses['200'].content['image/png']);
  assert.match(doc.info.description, /no_samples/);
});
