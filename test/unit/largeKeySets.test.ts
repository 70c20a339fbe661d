import { parseYaml } from '../../src/config';
import { DatagateError } from '../../src/errors';
import { buildModel } from '../../src/model';
import type { Condition, Plan, SelectPlan } from '../../src/planning';
import { compilePlan, mysqlDialect, postgresDialect, sqliteDialect } from '../../src/sources';
import { LiteralList } from '../../src/sources/mysql/dialect';
import { LIST_PARAM_THRESHOLD, parameterize, prepare } from '../../src/sources/sql/params';

/**
 * Key sets above LIST_PARAM_THRESHOLD compile to one parameter on every engine; small ones keep
 * one `?` per value (compile.test.ts). Expected SQL of every dialect side by side.
 */
const registry = buildModel(
  [
    parseYaml(
      'm.yaml',
      `
Customer:
  source: s
  table: customers
  key: id
  fields: { id: { type: Int }, name: { type: String }, big: { type: BigInt }, seen: { type: DateTime }, amount: { type: Decimal }, region: { type: String } }
`,
    ),
  ],
  ['s'],
);
const Customer = registry.entity('Customer');
const dialects = { pg: postgresDialect(false), mysql: mysqlDialect(), sqlite: sqliteDialect(false) };
type D = keyof typeof dialects;

const range = (n: number, from = 1) => Array.from({ length: n }, (_, i) => from + i);
const keys = (vals: unknown[]) => vals.map((v) => [v]);
const keySet = (fields: string[], values: unknown[][], negate = false): Condition => ({ kind: 'in', fields, values, negate });
const select = (where: Condition, extra: Partial<SelectPlan> = {}): Plan => ({ kind: 'select', entity: Customer, fields: ['id'], where, orderBy: [], ...extra });
const HEAD = { pg: 'select "t0"."id" as "id" from "customers" as "t0" where ', my: 'select `t0`.`id` as `id` from `customers` as `t0` where ' };

const thousand = range(1000);
const thousandJson = `[${thousand.join(',')}]`;

type Expected = { sql: string; bindings: unknown[] };
const cases: [string, Plan, Record<D, Expected>][] = [
  [
    '1,000 integer keys: one array on PostgreSQL, one JSON array on MySQL (JSON_TABLE) and SQLite (json_each)',
    select(keySet(['id'], keys(thousand))),
    {
      pg: { sql: `${HEAD.pg}"t0"."id" = any(?)`, bindings: [thousand] },
      mysql: { sql: `${HEAD.my}\`t0\`.\`id\` in (select j.v0 from json_table(?, '$[*]' columns (v0 bigint path '$')) as j)`, bindings: [thousandJson] },
      sqlite: { sql: `${HEAD.my}\`t0\`.\`id\` in (select value from json_each(?))`, bindings: [thousandJson] },
    },
  ],
  [
    '1,000 integer keys negated',
    select(keySet(['id'], keys(thousand), true)),
    {
      pg: { sql: `${HEAD.pg}not ("t0"."id" = any(?))`, bindings: [thousand] },
      mysql: { sql: `${HEAD.my}\`t0\`.\`id\` not in (select j.v0 from json_table(?, '$[*]' columns (v0 bigint path '$')) as j)`, bindings: [thousandJson] },
      sqlite: { sql: `${HEAD.my}\`t0\`.\`id\` not in (select value from json_each(?))`, bindings: [thousandJson] },
    },
  ],
  [
    '1,000 string keys: on MySQL one `?` holding the list (mysql2 writes it out as literals, which take the column collation)',
    select(keySet(['name'], keys(thousand.map((i) => `Clé ${i}`)))),
    {
      pg: { sql: `${HEAD.pg}"t0"."name" = any(?)`, bindings: [thousand.map((i) => `Clé ${i}`)] },
      mysql: { sql: `${HEAD.my}\`t0\`.\`name\` in (?)`, bindings: [new LiteralList(thousand.map((i) => `Clé ${i}`))] },
      sqlite: { sql: `${HEAD.my}\`t0\`.\`name\` in (select value from json_each(?))`, bindings: [JSON.stringify(thousand.map((i) => `Clé ${i}`))] },
    },
  ],
  [
    'BigInt keys beyond 2^53 stay exact: raw digits in the JSON text',
    select(keySet(['big'], keys([...range(600).map(String), '9007199254740993', 9223372036854775807n]))),
    {
      pg: { sql: `${HEAD.pg}"t0"."big" = any(?)`, bindings: [[...range(600).map(String), '9007199254740993', 9223372036854775807n]] },
      mysql: {
        sql: `${HEAD.my}\`t0\`.\`big\` in (select j.v0 from json_table(?, '$[*]' columns (v0 bigint path '$')) as j)`,
        bindings: [`[${range(600).join(',')},9007199254740993,9223372036854775807]`],
      },
      sqlite: { sql: `${HEAD.my}\`t0\`.\`big\` in (select value from json_each(?))`, bindings: [`[${range(600).join(',')},9007199254740993,9223372036854775807]`] },
    },
  ],
  [
    'DateTime and Decimal keys take the engine encoding inside the JSON',
    select(keySet(['seen', 'amount'], range(501).map((i) => [new Date(Date.UTC(2026, 0, 1, 0, 0, 0, i)), `${i}.50`]))),
    {
      pg: {
        sql: `${HEAD.pg}(${range(501)
          .map(() => '("t0"."seen" = ? and "t0"."amount" = ?)')
          .join(' or ')})`,
        bindings: range(501).flatMap((i) => [new Date(Date.UTC(2026, 0, 1, 0, 0, 0, i)), `${i}.50`]),
      },
      mysql: {
        sql: `${HEAD.my}(\`t0\`.\`seen\`, \`t0\`.\`amount\`) in (select j.v0, j.v1 from json_table(?, '$[*]' columns (v0 datetime(6) path '$[0]', v1 decimal(65,30) path '$[1]')) as j)`,
        bindings: [`[${range(501).map((i) => `["2026-01-01 00:00:00.${String(i).padStart(3, '0')}","${i}.50"]`)}]`],
      },
      sqlite: {
        sql: `${HEAD.my}(\`t0\`.\`seen\`, \`t0\`.\`amount\`) in (select json_extract(value, '$[0]'), json_extract(value, '$[1]') from json_each(?))`,
        bindings: [`[${range(501).map((i) => `["2026-01-01T00:00:00.${String(i).padStart(3, '0')}Z","${i}.50"]`)}]`],
      },
    },
  ],
  [
    'composite keys with a text column: MySQL binds one list of rows',
    select(keySet(['region', 'id'], range(501).map((i) => [`r${i % 7}`, i]), true)),
    {
      pg: {
        sql: `${HEAD.pg}not (${range(501)
          .map(() => '("t0"."region" = ? and "t0"."id" = ?)')
          .join(' or ')})`,
        bindings: range(501).flatMap((i) => [`r${i % 7}`, i]),
      },
      mysql: { sql: `${HEAD.my}(\`t0\`.\`region\`, \`t0\`.\`id\`) not in (?)`, bindings: [new LiteralList(range(501).map((i) => [`r${i % 7}`, i]))] },
      sqlite: {
        sql: `${HEAD.my}(\`t0\`.\`region\`, \`t0\`.\`id\`) not in (select json_extract(value, '$[0]'), json_extract(value, '$[1]') from json_each(?))`,
        bindings: [JSON.stringify(range(501).map((i) => [`r${i % 7}`, i]))],
      },
    },
  ],
  [
    `${LIST_PARAM_THRESHOLD} keys are still a list of markers`,
    select(keySet(['id'], keys(range(LIST_PARAM_THRESHOLD)))),
    {
      pg: { sql: `${HEAD.pg}"t0"."id" = any(?)`, bindings: [range(LIST_PARAM_THRESHOLD)] },
      mysql: { sql: `${HEAD.my}\`t0\`.\`id\` in (${range(LIST_PARAM_THRESHOLD).map(() => '?').join(', ')})`, bindings: range(LIST_PARAM_THRESHOLD) },
      sqlite: { sql: `${HEAD.my}\`t0\`.\`id\` in (${range(LIST_PARAM_THRESHOLD).map(() => '?').join(', ')})`, bindings: range(LIST_PARAM_THRESHOLD) },
    },
  ],
  [
    'a partitioned relationship load of 10,000 parents goes the same way',
    select({ kind: 'true' }, { partition: { fields: ['id'], keys: keys(range(10_000)) } }),
    {
      pg: { sql: `${HEAD.pg}"t0"."id" = any(?)`, bindings: [range(10_000)] },
      mysql: { sql: `${HEAD.my}\`t0\`.\`id\` in (select j.v0 from json_table(?, '$[*]' columns (v0 bigint path '$')) as j)`, bindings: [`[${range(10_000).join(',')}]`] },
      sqlite: { sql: `${HEAD.my}\`t0\`.\`id\` in (select value from json_each(?))`, bindings: [`[${range(10_000).join(',')}]`] },
    },
  ],
];

describe.each(cases)('%s', (_name, plan, expected) => {
  test.each(Object.keys(dialects) as D[])('%s', (d) => {
    expect(compilePlan(dialects[d], plan)).toEqual(expected[d]);
  });
});

describe('prepared-statement shapes', () => {
  const inPlan = (n: number, negate = false) => select(keySet(['id'], keys(range(n))), negate ? {} : { limit: 5 });
  const partitionPlan = (n: number) => select({ kind: 'true' }, { partition: { fields: ['id'], keys: keys(range(n)) } });

  test('lengths above the threshold share one shape; below it every length is its own', () => {
    for (const expand of [true, false]) {
      expect(parameterize(inPlan(501), expand).key).toBe(parameterize(inPlan(100_000), expand).key);
      expect(parameterize(partitionPlan(1000), expand).key).toBe(parameterize(partitionPlan(10_000), expand).key);
    }
    expect(parameterize(inPlan(3), true).key).not.toBe(parameterize(inPlan(4), true).key);
    expect(parameterize(inPlan(500), true).key).not.toBe(parameterize(inPlan(501), true).key);
    expect(parameterize(partitionPlan(3), true).key).not.toBe(parameterize(partitionPlan(4), true).key);
    // PostgreSQL: one array whatever the length.
    expect(parameterize(inPlan(3), false).key).toBe(parameterize(inPlan(501), false).key);
  });

  test('composite key sets on PostgreSQL still expand, so their length is shape', () => {
    const comp = (n: number) => select(keySet(['id', 'region'], range(n).map((i) => [i, 'x'])));
    expect(parameterize(comp(2), false).key).not.toBe(parameterize(comp(3), false).key);
  });

  test.each(['mysql', 'sqlite'] as const)('%s: one compiled statement binds every large length as its own JSON text', (d) => {
    const first = parameterize(inPlan(1000), true);
    const statement = prepare(compilePlan(dialects[d], first.template));
    for (const n of [1000, 2000, 100_000]) {
      const { key, values } = parameterize(inPlan(n), true);
      expect(key).toBe(first.key);
      // The page (limit 5) is written into the statement, not bound (sql/compile.ts literalCount).
      expect(statement.bind(values)).toEqual([`[${range(n).join(',')}]`]);
    }
  });

  test('mysql: a large text key set binds as one list, whatever its length', () => {
    const plan = (n: number) => select(keySet(['name'], keys(range(n).map(String))));
    const first = parameterize(plan(600), true);
    const statement = prepare(compilePlan(dialects.mysql, first.template));
    expect(statement.sql).toBe(`${HEAD.my}\`t0\`.\`name\` in (?)`);
    const { key, values } = parameterize(plan(700), true);
    expect(key).toBe(first.key);
    expect(statement.bind(values)).toEqual([new LiteralList(range(700).map(String))]);
  });

  test('mysql: the list is written out as the literals a small list would bind', () => {
    expect(new LiteralList(["O'Brien", 'Clé', 5, null]).toSqlString()).toBe("'O\\'Brien', 'Clé', 5, NULL");
    expect(new LiteralList([['a', 1], ['b', new Date('2026-01-02T03:04:05.006Z')]]).toSqlString()).toBe("('a', 1), ('b', '2026-01-02 03:04:05.006')");
  });
});

describe('refusals', () => {
  test('a composite key set on PostgreSQL above 65,535 bound values is LIMIT_EXCEEDED, not a driver error', () => {
    const plan = select(keySet(['id', 'region'], range(40_000).map((i) => [i, 'x'])));
    let error: unknown;
    try {
      compilePlan(dialects.pg, plan);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DatagateError);
    expect((error as DatagateError).code).toBe('LIMIT_EXCEEDED');
    expect((error as DatagateError).message).not.toMatch(/x/);
  });

  test('mysql: an integer key JSON_TABLE would clamp or zero is refused instead of matching the wrong rows', () => {
    for (const bad of ['18446744073709551615', 'abc', 1.5]) {
      const plan = select(keySet(['big'], keys([...range(600), bad])));
      expect(() => compilePlan(dialects.mysql, plan)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
    }
  });
});
