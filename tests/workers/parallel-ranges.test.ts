/** How a batch's rows are split over threads (rowBounds, leadRows): contiguous, complete, fixed by the sizes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leadRows, rowBounds } from '../../src/workers/parallel/ranges.ts';

test('rowBounds covers the batch once, in order, with part 0 taking the lead rows', () => {
  for (const threads of [2, 3, 4]) {
    for (const batch of [1, 2, 5, 32, 127, 128]) {
      for (const lead of [0, 1, 6, 40, 1000]) {
        let at = 0;
        const sizes: number[] = [];
        for (let p = 0; p < threads; p++) {
          const [a, b] = rowBounds(p, batch, threads, lead);
          assert.equal(a, at, `threads ${threads} batch ${batch} lead ${lead}: part ${p} starts where the last ended`);
          assert.ok(b >= a);
          sizes.push(b - a);
          at = b;
        }
        assert.equal(at, batch, 'every row is in a part');
        const even = Math.ceil(batch / threads);
        assert.ok(sizes[0] >= Math.min(batch, even) - 0, `part 0 never takes fewer than an even share (${sizes})`);
        if (batch >= threads) assert.ok(sizes.slice(1).every((s) => s >= 1), `each helper keeps a row (${sizes})`);
        if (lead === 0) assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `no lead: even (${sizes})`);
      }
    }
  }
  assert.deepEqual(rowBounds(0, 128, 2, 6), [0, 70]);
  assert.deepEqual(rowBounds(1, 128, 2, 6), [70, 128]);
});

test('leadRows grows with the update per row of compute, is capped at a quarter of the batch, and is 0 for one thread', () => {
  // MLP 784-128-10: 101,770 parameters, ~610k training FLOPs per sample.
  const mlp = leadRows(101_770, 610_000, 128, 2);
  assert.ok(mlp >= 3 && mlp <= 10, `MLP lead ${mlp}`);
  // A conv net: few parameters for much compute, so no lead.
  assert.equal(leadRows(10_000, 30_000_000, 128, 2), 0);
  assert.equal(leadRows(10_000_000, 1_000, 128, 2), 32, 'capped at batch / 4');
  assert.equal(leadRows(101_770, 610_000, 128, 1), 0);
  assert.ok(leadRows(101_770, 610_000, 128, 4) < mlp, 'more threads share the lead');
});
