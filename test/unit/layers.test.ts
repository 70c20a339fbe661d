import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Imports run one way (DESIGN.md): a part may import only the parts below it. This test reads
 * every import of src/ and resolvers/ and fails on one that reaches up or around.
 */
const ALLOWED: Record<string, string[]> = {
  errors: [],
  config: ['errors'],
  model: ['config', 'errors'],
  identity: ['config', 'errors'],
  // The metadata store (issue 4): knex migrations and queries, below everything that records or reads governance facts.
  store: ['config', 'errors'],
  planning: ['model', 'errors'],
  // Policies compile into the planner's condition trees, so they sit above planning (DESIGN.md drew them below).
  policy: ['planning', 'model', 'identity', 'config', 'errors'],
  sources: ['planning', 'model', 'config', 'errors'],
  graph: ['sources', 'policy', 'planning', 'model', 'identity', 'config', 'errors'],
  // Catalog, access requests, audit, quality, retention: beside graph, never inside it (DESIGN.md).
  governance: ['store', 'sources', 'policy', 'planning', 'model', 'identity', 'config', 'errors'],
  resolvers: ['graph', 'governance', 'store', 'sources', 'policy', 'planning', 'model', 'identity', 'config', 'errors'],
  server: ['resolvers', 'graph', 'governance', 'store', 'sources', 'policy', 'planning', 'model', 'identity', 'config', 'errors'],
  demo: [],
  cli: ['server', 'resolvers', 'graph', 'governance', 'store', 'sources', 'policy', 'planning', 'model', 'identity', 'config', 'errors', 'demo'],
};

const root = path.join(__dirname, '../..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** `src/<part>/…` → part; also for an import of the part's folder itself (`../graph`). */
function partOf(file: string): string | undefined {
  const rel = path.relative(root, file).split(path.sep);
  if (rel[0] === 'resolvers') return 'resolvers';
  return rel[0] === 'src' && rel.length >= 2 ? rel[1].replace(/\.ts$/, '') : undefined;
}

test('every part of src/ is declared', () => {
  const parts = readdirSync(path.join(root, 'src')).filter((d) => statSync(path.join(root, 'src', d)).isDirectory());
  expect(parts.filter((p) => !(p in ALLOWED))).toEqual([]);
});

test('imports run one way', () => {
  const violations: string[] = [];
  for (const file of [...files(path.join(root, 'src')), ...files(path.join(root, 'resolvers'))]) {
    const from = partOf(file);
    if (!from) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\(\s*|require\(\s*)'(\.[^']+)'/g)) {
      const to = partOf(path.resolve(path.dirname(file), m[1]));
      if (to && to !== from && !ALLOWED[from].includes(to)) violations.push(`${path.relative(root, file)} (${from}) imports ${m[1]} (${to})`);
    }
  }
  expect(violations).toEqual([]);
});
