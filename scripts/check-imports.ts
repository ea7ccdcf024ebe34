/**
 * The import rules DESIGN.md sets, checked on the real import graph of src/:
 * no cycles anywhere, and each folder imports only what it may
 * (the engine nothing outside itself; api and workers never each other).
 * Run by `npm test` (through `npm run check`).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(process.argv[2] ?? 'src');
const IMPORT = /(?:^|[\s;])(import|export)\s+(type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/**
 * What each top folder of src/ may import (besides itself); `X-type` allows `import type` only.
 * The API uses the engine's pure checks (spec validation, summaries, data readers, a forward
 * pass for predictions) but never trains: training runs in src/workers.
 */
const ALLOWED: Record<string, { folders: string[]; packages: boolean }> = {
  engine: { folders: [], packages: false },
  shared: { folders: [], packages: true },
  db: { folders: ['shared'], packages: true },
  queue: { folders: ['shared'], packages: true },
  api: { folders: ['db', 'shared', 'queue', 'engine', 'workers-type'], packages: true },
  workers: { folders: ['engine', 'db', 'shared', 'queue'], packages: true },
  cli: { folders: ['api', 'workers', 'db', 'shared', 'queue', 'engine'], packages: true },
};

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === 'generated' || name === 'node_modules') continue;
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

const files = walk(ROOT);
const graph = new Map<string, string[]>();
const problems: string[] = [];

for (const file of files) {
  const rel = relative(ROOT, file);
  const top = rel.split('/')[0];
  const rules = ALLOWED[top];
  const edges: string[] = [];
  const src = stripComments(readFileSync(file, 'utf8'));
  for (const m of src.matchAll(IMPORT)) {
    const spec = m[3] ?? m[4];
    const typeOnly = Boolean(m[2]);
    if (!spec.startsWith('.')) {
      if (rules && !rules.packages) problems.push(`${rel}: src/${top} may not import the package ${spec}`);
      continue;
    }
    const target = resolve(dirname(file), spec);
    const targetRel = relative(ROOT, target);
    if (targetRel.startsWith('..')) {
      problems.push(`${rel}: imports ${spec}, outside src/`);
      continue;
    }
    const targetTop = targetRel.split('/')[0];
    if (targetRel.includes('/generated/')) continue;
    if (!typeOnly) edges.push(target);
    if (!rules || targetTop === top) continue;
    const ok = rules.folders.includes(targetTop) || (typeOnly && rules.folders.includes(`${targetTop}-type`));
    if (!ok) problems.push(`${rel}: src/${top} may not import src/${targetTop} (${spec})${rules.folders.includes(`${targetTop}-type`) ? '; use `import type`' : ''}`);
  }
  graph.set(file, edges);
}

// Cycles: Tarjan's strongly connected components over runtime (non-type) imports.
let index = 0;
const idx = new Map<string, number>();
const low = new Map<string, number>();
const stack: string[] = [];
const onStack = new Set<string>();
function strong(v: string): void {
  idx.set(v, index);
  low.set(v, index);
  index++;
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!graph.has(w)) continue;
    if (!idx.has(w)) {
      strong(w);
      low.set(v, Math.min(low.get(v)!, low.get(w)!));
    } else if (onStack.has(w)) {
      low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
  }
  if (low.get(v) === idx.get(v)) {
    const comp: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      comp.push(relative(ROOT, w));
    } while (w !== v);
    if (comp.length > 1) problems.push(`import cycle: ${comp.reverse().join(' -> ')}`);
  }
}
for (const v of graph.keys()) if (!idx.has(v)) strong(v);

if (problems.length > 0) {
  console.error(problems.join('\n'));
  console.error(`\n${problems.length} import rule violation(s)`);
  process.exit(1);
}
console.log(`imports ok: ${files.length} files, no cycles, folder rules hold`);
