import { buildModel } from '../../src/model';
import { parseYaml } from '../../src/config';
import type { Condition, Plan, SelectPlan } from '../../src/planning';
import { compilePlan, mysqlDialect, postgresDialect, sqliteDialect } from '../../src/sources';
import { parameterize, prepare } from '../../src/sources/sql/params';

/**
 * Compiling is pure: plan → SQL and bindings, no database. Each case gives the expected SQL
 * of every dialect side by side, as knex's own builder tests do.
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
  fields: { id: { type: Int }, name: { type: String }, score: { type: Int }, seen: { type: DateTime }, vip: { type: Boolean } }
  relationships: { orders: { entity: Order, many: true, on: { id: customer_id } } }
Order:
  source: s
  table: orders
  schema: sales
  key: id
  fields: { id: { type: Int }, customer_id: { type: Int }, amount: { type: Decimal } }
`,
    ),
  ],
  ['s'],
);
const Customer = registry.entity('Customer');
const Order = registry.entity('Order');
const dialects = { pg: postgresDialect(false), mysql: mysqlDialect(), sqlite: sqliteDialect(false) };

const select = (where: Condition, extra: Partial<SelectPlan> = {}): Plan => ({ kind: 'select', entity: Customer, fields: ['id', 'name'], where, orderBy: [], ...extra });
const cmp = (op: 'eq' | 'lt', field: string, value: unknown): Condition => ({ kind: 'compare', op, field, value });

type Expected = { sql: string; bindings: unknown[] };
const cases: [string, Plan, Record<keyof typeof dialects, Expected>][] = [
  [
    'no condition',
    select({ kind: 'true' }, { limit: 10 }),
    {
      pg: { sql: 'select "t0"."id" as "id", "t0"."name" as "name" from "customers" as "t0" limit 10', bindings: [] },
      mysql: { sql: 'select `t0`.`id` as `id`, `t0`.`name` as `name` from `customers` as `t0` limit 10', bindings: [] },
      sqlite: { sql: 'select `t0`.`id` as `id`, `t0`.`name` as `name` from `customers` as `t0` limit 10', bindings: [] },
    },
  ],
  [
    'deny compiles to 1 = 0, never to a missing filter',
    select({ kind: 'false' }),
    {
      pg: { sql: 'select "t0"."id" as "id", "t0"."name" as "name" from "customers" as "t0" where 1 = 0', bindings: [] },
      mysql: { sql: 'select `t0`.`id` as `id`, `t0`.`name` as `name` from `customers` as `t0` where 1 = 0', bindings: [] },
      sqlite: { sql: 'select `t0`.`id` as `id`, `t0`.`name` as `name` from `customers` as `t0` where 1 = 0', bindings: [] },
    },
  ],
  [
    'and / or / not with bound values',
    select({ kind: 'and', items: [cmp('eq', 'name', "O'Brien"), { kind: 'or', items: [cmp('lt', 'score', 5), { kind: 'not', item: { kind: 'isNull', field: 'seen', isNull: true } }] }] }),
    {
      pg: { sql: 'select "t0"."id" as "id", "t0"."name" as "name" from "customers" as "t0" where ("t0"."name" = ?) and (("t0"."score" < ?) or (not ("t0"."seen" is null)))', bindings: ["O'Brien", 5] },
      mysql: { sql: 'select `t0`.`id` as `id`, `t0`.`name` as `name` from `customers` as `t0` where (`t0`.`name` = ?) and ((`t0`.`score` < ?) or (not (`t0`.`seen` is null)))', bindings: ["O'Brien", 5] },
      sqlite: { sql: 'select `t0`.`id` as `id`, `t0`.`name` as `name` from `customers` as `t0` where (`t0`.`name` = ?) and ((`t0`.`score` < ?) or (not (`t0`.`seen` is null)))', bindings: ["O'Brien", 5] },
    },
  ],
  [
    'values are encoded per engine (DateTime, Boolean)',
    select({ kind: 'and', items: [cmp('lt', 'seen', new Date('2026-01-02T03:04:05.006Z')), cmp('eq', 'vip', true)] }),
    {
      pg: { sql: 'select "t0"."id" as "id", "t0"."name" as "name" from "customers" as "t0" where ("t0"."seen" < ?) and ("t0"."vip" = ?)', bindings: [new Date('2026-01-02T03:04:05.006Z'), true] },
      mysql: { sql: 'select `t0`.`id` as `id`, `t0`.`name` as `name` from `customers` as `t0` where (`t0`.`seen` < ?) and (`t0`.`vip` = ?)', bindings: [new Date('2026-01-02T03:04:05.006Z'), true] },
      sqlite: { sql: 'select `t0`.`id` as `id`, `t0`.`name` as `name` from `customers` as `t0` where (`t0`.`seen` < ?) and (`t0`.`vip` = ?)', bindings: ['2026-01-02T03:04:05.006Z', 1] },
    },
  ],
  [
    'like and ilike',
    select({ kind: 'or', items: [{ kind: 'like', field: 'name', pattern: 'a\\_%', caseInsensitive: false }, { kind: 'like', field: 'name', pattern: 'b%', caseInsensitive: true }] }),
    {
      pg: { sql: 'select "t0"."id" as "id", "t0"."name" as "name" from "customers" as "t0" where (("t0"."name" like ?) or ("t0"."name" ilike ?))', bindings: ['a\\_%', 'b%'] },
      mysql: { sql: 'select `t0`.`id` as `id`, `t0`.`name` as `name` from `customers` as `t0` where ((`t0`.`name` like convert(? using utf8mb4) collate utf8mb4_bin) or (lower(`t0`.`name`) like lower(?)))', bindings: ['a\\_%', 'b%'] },
      sqlite: { sql: "select `t0`.`id` as `id`, `t0`.`name` as `name` from `customers` as `t0` where ((`t0`.`name` glob ?) or (lower(`t0`.`name`) like lower(?) escape '\\'))", bindings: ['a_*', 'b%'] },
    },
  ],
  [
    'key sets: one array parameter on PostgreSQL, a list elsewhere',
    select({ kind: 'in', fields: ['id'], values: [[1], [2], [3]], negate: false }),
    {
      pg: { sql: 'select "t0"."id" as "id", "t0"."name" as "name" from "customers" as "t0" where "t0"."id" = any(?)', bindings: [[1, 2, 3]] },
      mysql: { sql: 'select `t0`.`id` as `id`, `t0`.`name` as `name` from `customers` as `t0` where `t0`.`id` in (?, ?, ?)', bindings: [1, 2, 3] },
      sqlite: { sql: 'select `t0`.`id` as `id`, `t0`.`name` as `name` from `customers` as `t0` where `t0`.`id` in (?, ?, ?)', bindings: [1, 2, 3] },
    },
  ],
  [
    'a related row in the same source becomes EXISTS (with a schema-qualified table)',
    select({ kind: 'related', relationship: Customer.relationships.get('orders')!, target: Order, where: cmp('eq', 'amount', '10.50') }),
    {
      pg: { sql: 'select "t0"."id" as "id", "t0"."name" as "name" from "customers" as "t0" where exists (select 1 from "sales"."orders" as "t1" where "t1"."customer_id" = "t0"."id" and "t1"."amount" = ?)', bindings: ['10.50'] },
      mysql: { sql: 'select `t0`.`id` as `id`, `t0`.`name` as `name` from `customers` as `t0` where exists (select 1 from `sales`.`orders` as `t1` where `t1`.`customer_id` = `t0`.`id` and `t1`.`amount` = ?)', bindings: ['10.50'] },
      sqlite: { sql: 'select `t0`.`id` as `id`, `t0`.`name` as `name` from `customers` as `t0` where exists (select 1 from `sales`.`orders` as `t1` where `t1`.`customer_id` = `t0`.`id` and `t1`.`amount` = ?)', bindings: ['10.50'] },
    },
  ],
  [
    'NULLs last on a nullable column',
    select({ kind: 'true' }, { orderBy: [{ field: 'score', direction: 'asc', nulls: 'last' }] }),
    {
      pg: { sql: 'select "t0"."id" as "id", "t0"."name" as "name" from "customers" as "t0" order by "t0"."score" asc', bindings: [] },
      mysql: { sql: 'select `t0`.`id` as `id`, `t0`.`name` as `name` from `customers` as `t0` order by (`t0`.`score` is null) asc, `t0`.`score` asc', bindings: [] },
      sqlite: { sql: 'select `t0`.`id` as `id`, `t0`.`name` as `name` from `customers` as `t0` order by `t0`.`score` asc nulls last', bindings: [] },
    },
  ],
  [
    'ordering with NULL placement (said only where not the default, and never for the non-null key)',
    select({ kind: 'true' }, { orderBy: [{ field: 'score', direction: 'asc', nulls: 'first' }, { field: 'id', direction: 'asc', nulls: 'last' }] }),
    {
      pg: { sql: 'select "t0"."id" as "id", "t0"."name" as "name" from "customers" as "t0" order by "t0"."score" asc nulls first, "t0"."id" asc', bindings: [] },
      mysql: { sql: 'select `t0`.`id` as `id`, `t0`.`name` as `name` from `customers` as `t0` order by `t0`.`score` asc, `t0`.`id` asc', bindings: [] },
      sqlite: { sql: 'select `t0`.`id` as `id`, `t0`.`name` as `name` from `customers` as `t0` order by `t0`.`score` asc, `t0`.`id` asc', bindings: [] },
    },
  ],
  [
    'a batched relationship load with a per-parent limit uses ROW_NUMBER',
    { kind: 'select', entity: Order, fields: ['id', 'customer_id'], where: { kind: 'true' }, orderBy: [{ field: 'id', direction: 'desc', nulls: 'first' }], limit: 2, partition: { fields: ['customer_id'], keys: [[1], [2]] } },
    {
      pg: { sql: 'select * from (select "t0"."id" as "id", "t0"."customer_id" as "customer_id", row_number() over (partition by "t0"."customer_id" order by "t0"."id" desc) as "__dg_rn" from "sales"."orders" as "t0" where "t0"."customer_id" = any(?)) as "p" where "__dg_rn" > 0 and "__dg_rn" <= 2 order by "__dg_rn" asc', bindings: [[1, 2]] },
      mysql: { sql: 'select * from (select `t0`.`id` as `id`, `t0`.`customer_id` as `customer_id`, row_number() over (partition by `t0`.`customer_id` order by `t0`.`id` desc) as `__dg_rn` from `sales`.`orders` as `t0` where `t0`.`customer_id` in (?, ?)) as `p` where `__dg_rn` > 0 and `__dg_rn` <= 2 order by `__dg_rn` asc', bindings: [1, 2] },
      sqlite: { sql: 'select * from (select `t0`.`id` as `id`, `t0`.`customer_id` as `customer_id`, row_number() over (partition by `t0`.`customer_id` order by `t0`.`id` desc) as `__dg_rn` from `sales`.`orders` as `t0` where `t0`.`customer_id` in (?, ?)) as `p` where `__dg_rn` > 0 and `__dg_rn` <= 2 order by `__dg_rn` asc', bindings: [1, 2] },
    },
  ],
  [
    'grouped aggregate',
    { kind: 'aggregate', entity: Order, where: { kind: 'true' }, groupBy: ['customer_id'], aggregates: [{ fn: 'count', alias: 'count' }, { fn: 'sum', field: 'amount', alias: 'sum__amount' }], limit: 5 },
    {
      pg: { sql: 'select "t0"."customer_id" as "customer_id", count(*) as "count", sum("t0"."amount") as "sum__amount" from "sales"."orders" as "t0" group by "t0"."customer_id" order by "t0"."customer_id" asc limit 5', bindings: [] },
      mysql: { sql: 'select `t0`.`customer_id` as `customer_id`, count(*) as `count`, sum(`t0`.`amount`) as `sum__amount` from `sales`.`orders` as `t0` group by `t0`.`customer_id` order by (`t0`.`customer_id` is null) asc, `t0`.`customer_id` asc limit 5', bindings: [] },
      sqlite: { sql: 'select `t0`.`customer_id` as `customer_id`, count(*) as `count`, sum(`t0`.`amount`) as `sum__amount` from `sales`.`orders` as `t0` group by `t0`.`customer_id` order by `t0`.`customer_id` asc nulls last limit 5', bindings: [] },
    },
  ],
];

describe.each(cases)('%s', (_name, plan, expected) => {
  test.each(Object.keys(dialects) as (keyof typeof dialects)[])('%s', (d) => {
    expect(compilePlan(dialects[d], plan)).toEqual(expected[d]);
  });
});

test('a page is written into the statement only as a non-negative integer', () => {
  for (const d of Object.keys(dialects) as (keyof typeof dialects)[]) {
    expect(compilePlan(dialects[d], select({ kind: 'true' }, { limit: 20, offset: 40 })).sql).toMatch(/ limit 20 offset 40$/);
    for (const bad of [2.5, -1, Number.NaN, Infinity, 2 ** 60, '5; drop table customers' as unknown as number]) {
      expect(() => compilePlan(dialects[d], select({ kind: 'true' }, { limit: bad }))).toThrow(/non-negative integer/);
      expect(() => compilePlan(dialects[d], select({ kind: 'true' }, { limit: 10, offset: bad }))).toThrow(/non-negative integer/);
    }
  }
});

test('identifiers with a bind marker or a dot are refused by the model', () => {
  expect(() => buildModel([parseYaml('q.yaml', 'Q:\n  source: s\n  table: "a?b"\n  key: id\n  fields: { id: { type: Int, column: "x.y" } }\n')], ['s'])).toThrow(
    /Q\.table: .*may not contain[\s\S]*Q\.fields\.id\.column: .*may not contain/,
  );
});

test('an identifier that looks like SQL stays one quoted identifier', () => {
  const evil = buildModel([parseYaml('e.yaml', 'Evil:\n  source: s\n  table: \'x"; drop table y; --\'\n  key: id\n  fields: { id: { type: Int, column: "a`b" } }\n')], ['s']).entity('Evil');
  const pg = compilePlan(dialects.pg, { kind: 'count', entity: evil, where: { kind: 'true' } });
  expect(pg.sql).toBe('select count(*) as "count" from "x""; drop table y; --" as "t0"');
  const my = compilePlan(dialects.mysql, { kind: 'select', entity: evil, fields: ['id'], where: { kind: 'true' }, orderBy: [] });
  expect(my.sql).toBe('select `t0`.`a``b` as `id` from `x"; drop table y; --` as `t0`');
});

describe('relationships read inside their parents\' statement (SelectPlan.nested)', () => {
  const orders = registry.entity('Customer').relationships.get('orders')!;
  const nestedPlan = (minAmount: string, limit: number): Plan => ({
    kind: 'select',
    entity: Customer,
    fields: ['id', 'seen'],
    where: cmp('lt', 'score', 7),
    orderBy: [{ field: 'id', direction: 'asc', nulls: 'last' }],
    limit: 20,
    nested: [
      {
        alias: '__dg_orders',
        relationship: orders,
        plan: { kind: 'select', entity: Order, fields: ['id', 'amount'], where: { kind: 'compare', op: 'gt', field: 'amount', value: minAmount }, orderBy: [{ field: 'id', direction: 'desc', nulls: 'first' }], limit, offset: 1 },
      },
    ],
  });

  test('pg: a correlated ARRAY of json_build_array rows, exact types as text, values bound in order', () => {
    expect(compilePlan(dialects.pg, nestedPlan('10.5', 3))).toEqual({
      sql:
        'select "t0"."id" as "id", "t0"."seen" as "seen", array_to_json(array(select json_build_array("t1"."id", "t1"."amount"::text) from "sales"."orders" as "t1"' +
        ' where "t1"."customer_id" = "t0"."id" and "t1"."amount" > ? order by "t1"."id" desc limit 3 offset 1)) as "__dg_orders"' +
        ' from "customers" as "t0" where "t0"."score" < ? order by "t0"."id" asc limit 20',
      bindings: ['10.5', 7],
    });
  });

  test('mariadb: a correlated JSON_ARRAYAGG that orders and pages inside itself, beside its row count', () => {
    expect(compilePlan(dialects.mysql, nestedPlan('10.5', 3))).toEqual({
      sql:
        'select `t0`.`id` as `id`, `t0`.`seen` as `seen`, (select json_array(count(*), json_arrayagg(json_array(`t1`.`id`, cast(`t1`.`amount` as char)) order by `t1`.`id` desc limit 3 offset 1))' +
        ' from `sales`.`orders` as `t1` where `t1`.`customer_id` = `t0`.`id` and `t1`.`amount` > ?) as `__dg_orders`' +
        ' from `customers` as `t0` where `t0`.`score` < ? order by `t0`.`id` asc limit 20',
      bindings: ['10.5', 7],
    });
  });

  test('an engine without it refuses a nested plan rather than drop its relationship', () => {
    expect(() => compilePlan(dialects.sqlite, nestedPlan('1', 1))).toThrow(/cannot read related rows inside their parents' statement/);
  });

  test('one prepared shape serves every value; a nested page is part of the shape', () => {
    const a = parameterize(nestedPlan('10.5', 3), false);
    const b = parameterize(nestedPlan('99', 3), false);
    const c = parameterize(nestedPlan('10.5', 4), false);
    expect(a.key).toBe(b.key);
    expect(a.key).not.toBe(c.key);
    // The statement compiled once from the template binds each plan's own values where compiling that plan would.
    const p = prepare(compilePlan(dialects.pg, a.template));
    for (const [plan, params] of [
      [nestedPlan('10.5', 3), a],
      [nestedPlan('99', 3), b],
    ] as const) {
      const direct = compilePlan(dialects.pg, plan);
      expect(p.sql).toBe(direct.sql);
      expect(p.bind(params.values)).toEqual(direct.bindings);
    }
  });

  test('a template has the keys of its plan and no others (a key added after a copy puts V8 on its slow path, per request)', () => {
    const plan = nestedPlan('10.5', 3);
    const { template } = parameterize(plan, false);
    expect(template.kind).toBe('select');
    if (template.kind !== 'select' || plan.kind !== 'select') return;
    expect(Object.keys(template).sort()).toEqual(Object.keys(plan).sort());
    expect(Object.keys(template.nested![0].plan).sort()).toEqual(Object.keys(plan.nested![0].plan).sort());
    expect('partition' in template).toBe(false);
  });
});
