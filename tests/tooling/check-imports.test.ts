import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ty-imports-'));
  for (const [p, src] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), src);
  }
  return dir;
}

function check(dir: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/check-imports.ts', dir], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('the real source tree passes the import rules', () => {
  const r = check('src');
  assert.equal(r.status, 0, r.out);
});

test('the engine may not import from outside itself, nor packages', () => {
  const dir = tree({
    'engine/a.ts': "import { x } from '../shared/x.ts';\nimport pg from 'pg';\nexport const a = x + pg;\n",
    'shared/x.ts': 'export const x = 1;\n',
  });
  try {
    const r = check(dir);
    assert.equal(r.status, 1);
    assert.match(r.out, /engine\/a\.ts: src\/engine may not import src\/shared/);
    assert.match(r.out, /may not import the package pg/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('cycles are found; the api never imports the workers at run time; shared imports nothing of ours', () => {
  const dir = tree({
    'db/a.ts': "import { b } from './b.ts';\nexport const a = b;\n",
    'db/b.ts': "import { a } from './a.ts';\nexport const b = a;\n",
    'api/r.ts': "import type { T } from '../workers/t.ts';\nimport { f } from '../workers/t.ts';\nexport const r: T = f;\n",
    'workers/t.ts': 'export type T = number;\nexport const f = 1;\n',
    'shared/s.ts': "import { a } from '../db/a.ts';\nexport const s = a;\n",
    'workers/w.ts': "import { r } from '../api/r.ts';\nexport const w = r;\n",
  });
  try {
    const r = check(dir);
    assert.equal(r.status, 1);
    assert.match(r.out, /import cycle: db\/(a|b)\.ts -> db\/(a|b)\.ts/);
    assert.match(r.out, /api\/r\.ts: src\/api may not import src\/workers .*use `import type`/);
    assert.match(r.out, /shared\/s\.ts: src\/shared may not import src\/db/);
    assert.doesNotMatch(r.out, /import type \{ T \}/);
    assert.match(r.out, /workers\/w\.ts: src\/workers may not import src\/api/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});
