import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { deploymentOf, loadConfig } from '../../src/shared/config.ts';

test('defaults select the embedded configuration on 127.0.0.1:3000 with ./data', () => {
  const c = loadConfig({});
  assert.equal(c.port, 3000);
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.dataDir, resolve('./data'));
  assert.deepEqual(deploymentOf(c), { data: 'embedded', queue: 'postgres' });
  assert.equal(c.relaxedSimd, true);
});

test('TRAINYARD_RELAXED_SIMD: 1 or blank on, 0 off', () => {
  assert.equal(loadConfig({ TRAINYARD_RELAXED_SIMD: '1' }).relaxedSimd, true);
  assert.equal(loadConfig({ TRAINYARD_RELAXED_SIMD: ' ' }).relaxedSimd, true);
  assert.equal(loadConfig({ TRAINYARD_RELAXED_SIMD: '0' }).relaxedSimd, false);
});

test('DATABASE_URL and REDIS_URL switch the data and the queue', () => {
  assert.deepEqual(deploymentOf(loadConfig({ DATABASE_URL: 'postgres://x/y' })), { data: 'postgres', queue: 'postgres' });
  assert.deepEqual(deploymentOf(loadConfig({ DATABASE_URL: 'postgres://x/y', REDIS_URL: 'redis://r' })), { data: 'postgres', queue: 'redis' });
  assert.equal(loadConfig({ DATABASE_URL: '  ' }).databaseUrl, undefined, 'blank means unset');
});

test('bad values are refused with the variable named', () => {
  assert.throws(() => loadConfig({ PORT: '3e3' }), /PORT must be a whole number/);
  assert.throws(() => loadConfig({ PORT: '70000' }), /PORT must be between 0 and 65535/);
  assert.throws(() => loadConfig({ TRAINYARD_WORKER_CONCURRENCY: '0' }), /TRAINYARD_WORKER_CONCURRENCY must be between 1/);
  assert.throws(() => loadConfig({ TRAINYARD_RELAXED_SIMD: 'off' }), /TRAINYARD_RELAXED_SIMD must be 0 or 1, got "off"/);
  assert.throws(() => loadConfig({ TRAINYARD_API_KEY: 'short' }), /TRAINYARD_API_KEY must be at least 16/);
});
