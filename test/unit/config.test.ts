import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, parseYaml } from '../../src/config';
import { ConfigError } from '../../src/errors';
import { buildModel, loadModel } from '../../src/model';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${path.basename(p.file)}:${p.line ?? '?'} ${p.path}: ${p.message}`);
    throw e;
  }
  throw new Error('expected a ConfigError');
}

function tmpFile(name: string, text: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dg-config-'));
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}

describe('datagate.yaml', () => {
  test('a valid file loads with defaults and env substitution', () => {
    const f = tmpFile('datagate.yaml', 'sources:\n  crm: { dialect: postgres, url: "${CRM_URL:-}", statementTimeout: 2s }\n  b: { dialect: mysql, url: "${B_URL}" }\n');
    const { config } = loadConfig(f, { B_URL: 'mysql://root@h/db' });
    expect(config.sources.crm).toMatchObject({ dialect: 'postgres', url: '', statementTimeout: 2000, pool: 10, connectTimeout: 5000, shareStatements: 'aggregates', planCacheMode: 'auto' });
    // Left out: each engine's own default (PostgreSQL reads relationships in their parents' statement, MariaDB does not).
    expect(config.sources.crm.nestedRows).toBeUndefined();
    expect(config.sources.b.url).toBe('mysql://root@h/db');
    expect(config.server.port).toBe(4000);
    expect(config.limits).toEqual({
      defaultLimit: 100,
      maxLimit: 1000,
      maxCrossSourceKeys: 100000,
      rowBudget: 2000000,
      maxDepth: 10,
      maxAliases: 15,
      maxTokens: 2000,
      maxDirectives: 50,
      maxCost: 100000,
      maxChars: 20000,
      maxBodyBytes: 102400,
      requestTimeout: 15000,
      roles: {},
    });
    expect(config.server).toMatchObject({ mode: 'development', introspection: ['admin'], cors: { origins: [], credentials: false } });
  });

  test('every problem is listed at once, each with file, line, path, expected and found', () => {
    const f = tmpFile(
      'datagate.yaml',
      ['server: { port: "eighty" }', 'sources:', '  crm:', '    dialect: oracle', '    pool: 0', '    statementTimeout: soon', '    colour: blue', '  Bad-Name: { dialect: sqlite }', '  y: { dialect: postgres, shareStatements: sometimes }', '  x: { dialect: mysql, url: "${NOT_SET}" }', '  z: { dialect: mysql, planCacheMode: generic }', '  w: { dialect: sqlite, nestedRows: true }', 'extra: 1', ''].join('\n'),
    );
    const problems = problemsOf(() => loadConfig(f, {}));
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^datagate\.yaml:1 server\.port: expected number, found string/),
        expect.stringMatching(/^datagate\.yaml:4 sources\.crm\.dialect: expected one of "postgres"\|"mysql"\|"sqlite", found "oracle"/),
        expect.stringMatching(/^datagate\.yaml:5 sources\.crm\.pool: .*>=1, found 0/),
        expect.stringMatching(/^datagate\.yaml:6 sources\.crm\.statementTimeout: expected a duration such as 500ms, 5s or 1m, found "soon"/),
        expect.stringMatching(/^datagate\.yaml:7 sources\.crm: unknown key "colour"/),
        expect.stringMatching(/^datagate\.yaml:8 sources\.Bad-Name: invalid name "Bad-Name": source names are lower_snake_case/),
        expect.stringMatching(/^datagate\.yaml:9 sources\.y\.shareStatements: expected one of "off"\|"aggregates"\|"all", found "sometimes"/),
        expect.stringMatching(/^datagate\.yaml:10 sources\.x\.url: environment variable NOT_SET is not set/),
        expect.stringMatching(/^datagate\.yaml:13 : unknown key "extra"/),
        expect.stringMatching(/^datagate\.yaml:12 sources\.w\.nestedRows: SQLite sources read each level in a statement of its own/),
        expect.stringMatching(/^datagate\.yaml:11 sources\.z\.planCacheMode: planCacheMode applies to PostgreSQL sources only; remove it from this mysql source/),
      ]),
    );
  });

  test('a setting that is one ${VAR} reads the variable as the number or boolean it wants; text stays text', () => {
    const f = tmpFile(
      'datagate.yaml',
      [
        'sources:',
        '  crm: { dialect: postgres, url: "${CRM_URL}", pool: "${POOL}", nestedRows: "${NESTED:-false}", maxQueue: "${QUEUE:-250}" }',
        'server: { port: "${PORT}", cursorSecret: "${SECRET}" }',
        '',
      ].join('\n'),
    );
    const { config } = loadConfig(f, { CRM_URL: 'postgres://h/db', POOL: '7', PORT: ' 8080 ', SECRET: '1234567890123456789012345678901234567890' });
    expect(config.sources.crm).toMatchObject({ url: 'postgres://h/db', pool: 7, nestedRows: false, maxQueue: 250 });
    expect(config.server.port).toBe(8080);
    // A text setting keeps the digits as text.
    expect(config.server.cursorSecret).toBe('1234567890123456789012345678901234567890');
    // Text that is no number or boolean is refused, naming the variable; so is a reference inside longer text.
    const bad = tmpFile('datagate.yaml', ['sources:', '  crm: { dialect: postgres, pool: "${POOL}", nestedRows: "${NESTED}" }', 'server: { port: "80${PORT}" }', ''].join('\n'));
    const problems = problemsOf(() => loadConfig(bad, { POOL: 'ten', NESTED: 'yes', PORT: '80' }));
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^datagate\.yaml:2 sources\.crm\.pool: expected number, found string, from environment variable POOL$/),
        expect.stringMatching(/^datagate\.yaml:2 sources\.crm\.nestedRows: expected boolean, found string, from environment variable NESTED$/),
        expect.stringMatching(/^datagate\.yaml:3 server\.port: expected number, found string$/),
      ]),
    );
  });

  test('broken YAML and a missing file are reported, not thrown as stacks', () => {
    expect(problemsOf(() => loadConfig(tmpFile('datagate.yaml', 'sources: { crm: [ }\n'), {}))[0]).toMatch(/YAML syntax error/);
    expect(problemsOf(() => loadConfig('/nonexistent/datagate.yaml', {}))[0]).toMatch(/file not found/);
  });
});

describe('model files', () => {
  const good = `
A:
  source: s
  table: a
  key: id
  fields: { id: { type: Int }, b_id: { type: Int }, t: { type: DateTime } }
  relationships: { b: { entity: B, on: { b_id: id } } }
B:
  source: s
  table: b
  key: id
  fields: { id: { type: Int } }
`;
  test('a valid model compiles to a frozen registry with derived names', () => {
    const r = buildModel([parseYaml('m.yaml', good)], ['s']);
    const a = r.entity('A');
    expect([a.singular, a.plural]).toEqual(['a', 'as']);
    expect(a.relationships.get('b')).toMatchObject({ target: 'B', many: false, on: [['b_id', 'id']] });
    expect(Object.isFrozen(a)).toBe(true);
  });

  test('every model problem is listed at once, with file and path', () => {
    const bad = `
Customer:
  source: nowhere
  table: customers
  key: missing
  retention: { column: name, keep: forever }
  fields:
    id: { type: Int }
    name: { type: Strin }
    n2: { type: String, column: id, scale: 2 }
  relationships:
    orders: { entity: Nope, many: true, on: { id: customer_id } }
    self: { entity: Customer, on: { name: id, ghost: id } }
customer: { source: s }
`;
    const problems = problemsOf(() => buildModel([parseYaml('crm.yaml', bad)], ['s', 't']));
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^crm\.yaml:9 Customer\.fields\.name\.type: .*"ID"\|"String"/),
        expect.stringMatching(/^crm\.yaml:14 customer: invalid name "customer": entity names are PascalCase/),
      ]),
    );
    // Schema errors stop before semantic checks; fix them and the semantic ones appear, all together.
    const semantic = problemsOf(() => buildModel([parseYaml('crm.yaml', bad.replace('Strin', 'String').replace(/customer: \{ source: s \}\n/, ''))], ['s', 't']));
    expect(semantic).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^crm\.yaml:3 Customer\.source: unknown source "nowhere"; expected one of "s", "t"/),
        expect.stringMatching(/^crm\.yaml:5 Customer\.key: key "missing" is not one of the entity's fields/),
        expect.stringMatching(/Customer\.retention\.keep: expected a duration such as 90d or 7y, found "forever"/),
        expect.stringMatching(/Customer\.retention\.column: expected a DateTime or Date field, found String/),
        expect.stringMatching(/Customer\.fields\.n2\.column: column "id" is mapped by another field/),
        expect.stringMatching(/Customer\.fields\.n2\.scale: scale applies to Decimal fields only, found it on a String/),
        expect.stringMatching(/^crm\.yaml:12 Customer\.relationships\.orders\.entity: unknown entity "Nope"/),
        expect.stringMatching(/Customer\.relationships\.self\.on\.name: cannot join Customer\.name \(String\) to Customer\.id \(Int\)/),
        expect.stringMatching(/Customer\.relationships\.self\.on\.ghost: "ghost" is not a field of Customer/),
      ]),
    );
    expect(semantic.length).toBeGreaterThanOrEqual(8);
  });

  test("an entity's cache.maxTtl is a duration (0: never cached)", () => {
    const withCache = (v: string) => `
A:
  source: s
  table: a
  key: id
  cache: { maxTtl: ${v} }
  fields:
    id: { type: Int }
`;
    expect(buildModel([parseYaml('m.yaml', withCache('30s'))], ['s']).entity('A').cacheMaxTtlMs).toBe(30_000);
    expect(buildModel([parseYaml('m.yaml', withCache('0'))], ['s']).entity('A').cacheMaxTtlMs).toBe(0);
    expect(buildModel([parseYaml('m.yaml', withCache('0').replace('  cache: { maxTtl: 0 }\n', ''))], ['s']).entity('A').cacheMaxTtlMs).toBeUndefined();
    expect(problemsOf(() => buildModel([parseYaml('m.yaml', withCache('soon'))], ['s']))).toEqual([
      expect.stringMatching(/^m\.yaml:6 A\.cache\.maxTtl: expected a duration such as 30s or 5m \(0: never cached\), found "soon"/),
    ]);
  });

  test('an entity declared in two files, and an empty model folder', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dg-model-'));
    mkdirSync(path.join(dir, 'schema'));
    writeFileSync(path.join(dir, 'schema', 'a.yaml'), good);
    writeFileSync(path.join(dir, 'schema', 'b.yaml'), good.split('B:')[0]);
    expect(problemsOf(() => loadModel(path.join(dir, 'schema'), ['s']))[0]).toMatch(/^b\.yaml:2 A: entity A is already declared in .*a\.yaml/);
    expect(problemsOf(() => loadModel(dir, ['s']))[0]).toMatch(/no \*\.yaml model files found/);
  });

  test('the bundled demo model is valid', () => {
    const r = loadModel(path.join(__dirname, '../../schema'), ['crm', 'sales', 'marketing']);
    expect([...r.entities.keys()].sort()).toEqual(['Campaign', 'Consent', 'Customer', 'Lead', 'Order', 'OrderLine', 'Product', 'SalesRep']);
  });
});
