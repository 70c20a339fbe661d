import path from 'node:path';
import { parseYaml } from '../../src/config';
import { ConfigError } from '../../src/errors';
import { buildModel, loadModel } from '../../src/model';
import { checkSpecOf } from '../../src/model/modelSchema';

const entity = (checks: string) => `A:
  source: s
  table: a
  key: id
  fields: { id: { type: ID }, n: { type: Int }, t: { type: String }, at: { type: DateTime } }
  checks:
${checks}
B:
  source: s
  table: b
  key: id
  fields: { id: { type: ID } }
`;

function problems(checks: string): string[] {
  try {
    buildModel([parseYaml('m.yaml', entity(checks))], ['s']);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${p.line}: ${p.path}: ${p.message}`);
    throw e;
  }
  return [];
}

test('the demo model declares only valid checks', () => {
  const registry = loadModel(path.join(__dirname, '../../schema'), ['crm', 'sales', 'marketing']);
  const specs = [...registry.entities.values()].flatMap((e) => e.checks.map(checkSpecOf));
  expect(specs).toContainEqual({ kind: 'freshness', field: 'updated_at', maxAge: '1d', maxAgeMs: 86_400_000 });
  expect(specs).toContainEqual({ kind: 'unique', fields: ['customer_id', 'channel'] });
});

test('valid checks of every kind load', () => {
  expect(
    problems(`    - { freshness: at, maxAge: 6h }
    - { notNull: t }
    - { unique: [t, n] }
    - { accepted: n, values: [1, 2] }
    - { range: n, max: 5 }
    - { rowCount: { min: 0 } }
    - { references: id, entity: B, field: id }
    - { sql: "select count(*) as failures from a where n < 0;", name: no negatives }`),
  ).toEqual([]);
});

test('every bad check is a located problem, all at once', () => {
  expect(
    problems(`    - { notNull: t, minRate: 2 }
    - { nope: t }
    - { range: t, min: 0 }
    - { references: n, entity: Nope, field: id }
    - { unique: zz }
    - { freshness: t, maxAge: soon }
    - { accepted: t, values: [x], colour: red }
    - { rowCount: {} }
    - { sql: "select 1", name: x, notNull: t }
    - { references: id, entity: B, field: missing }
    - { freshness: n, maxAge: 1d }`),
  ).toEqual([
    '7: A.checks[0].minRate: expected number to be <=1, found 2',
    '8: A.checks[1]: unknown check kind (keys "nope"); expected one of freshness, notNull, unique, accepted, range, rowCount, references, sql',
    '9: A.checks[2].range: expected a numeric (Int, BigInt, Float, Decimal) field, found t (String)',
    '10: A.checks[3].entity: unknown entity "Nope"; expected one of A, B',
    '11: A.checks[4].unique: "zz" is not a field of A; expected one of id, n, t, at',
    '12: A.checks[5].maxAge: expected a duration such as 30m, 6h or 1d, found "soon"',
    '13: A.checks[6]: unknown key "colour"',
    '14: A.checks[7].rowCount: expected min, max or both, found {}',
    '15: A.checks[8]: a check has one kind, found "notNull" and "sql"',
    '16: A.checks[9].field: "missing" is not a field of B',
    '17: A.checks[10].freshness: expected a DateTime or Date field, found n (Int)',
  ]);
});
