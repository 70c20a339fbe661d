/**
 * Issue 3's central test: policy enforcement as a property. Random users (a non-empty subset of
 * the roles below, random attributes) send random queries (lists with filters, ordering and
 * paging, nested relationships, connections walked by cursor, by-key reads, aggregates) to a real
 * gateway over real PostgreSQL and real MariaDB; every answer is compared with an oracle
 * (./oracle.ts) that evaluates the same policy files over the full tables in plain TypeScript.
 *
 * Checked for every case: the rows are exactly the readable rows matching the filter, in order,
 * with offset and limit (default min(defaultLimit, maxRows)); every field is the table's value in
 * clear, its mask, or null where the row does not let the caller read it; nested lists hold exactly
 * the target's readable related rows; totalCount, pageInfo and cursor pages; count, countDistinct,
 * sum, avg, min, max per group over the rows the aggregate right covers; limits above maxRows
 * refused. Per role set: what the schema offers is safe (filter, sort and join fields in clear on
 * every readable row, aggregate fields aggregable on every row) and complete (every field readable
 * somewhere is offered). Hand-written EXAMPLES run first in every run.
 *
 * Replay a failure with PROPERTY_SEED=<seed> (printed on failure, with fast-check's path and
 * shrunk counterexample); PROPERTY_RUNS changes the number of cases per engine; PROPERTY_COLLECT=1
 * runs them all and lists each kind of disagreement once instead of stopping at the first.
 */
import { createMongoAbility, subject } from '@casl/ability';
import fc from 'fast-check';
import type { Gateway } from '../../src/server';
import { setupEngine, type EngineSetup } from '../support/engines';
import { FIXTURE_MODEL, fixtureData, startGateway, TEST_IDENTITY } from '../support/fixture';
import { postGraphQL } from '../support/gql';
import { bearer, mintToken } from '../support/tokens';
import {
  claimsOf,
  materialize,
  narrowedRole,
  queryArb,
  toGraphQL,
  userArb,
  ValuePool,
  type EntitySchema,
  type InputInfo,
  type ListArgs,
  type QueryIntent,
  type QuerySpec,
  type SchemaInfo,
  type Sel,
  type UserCase,
} from './arbitraries';
import {
  apiValue,
  evalWhere,
  groupRows,
  HASH_SHAPE,
  maskValue,
  parseModel,
  PolicyOracle,
  type EntityDef,
  sameApiValue,
  sortRows,
  sumCents,
  Tables,
  type Engine,
  type Row,
  type UserOracle,
} from './oracle';

/**
 * The deployment's policies. Together they use every part of the language: `${user.*}` row
 * conditions, $in $nin $ne $gt $lt $exists and `field: null`, field lists, `cannot` rules with and
 * without fields (one whose placeholder may be missing, one on a nullable column), conditions
 * through a relationship in the same source (rep.region) and across sources (customer.rep_id,
 * order.customer.rep_id, $nin through the to-many orders, $elemMatch on orders), every mask (one
 * conditional, with a placeholder), maxRows (global and per entity), an aggregate right apart from
 * reading, and `extends` two levels deep. `intern` (in the role pool below) has no file: it grants nothing.
 */
const POLICIES: Record<string, string> = {
  'staff.yaml': `
role: staff
description: Every member of staff. Reference data.
rules:
  - { action: read, subject: Product }
  - { action: read, subject: Rep, fields: [id, name, region] }
`,
  'rep.yaml': `
role: rep
description: Account managers. Their own customers (not the balance), those customers' orders and order lines.
extends: staff
rules:
  - action: read
    subject: Customer
    fields: [id, name, email, region, score, vip, created_at, rep_id]
    conditions: { rep_id: "\${user.employeeId}" }
  # Orders live in sales, customers in crm: the condition crosses sources.
  - action: [read, aggregate]
    subject: Order
    conditions: { "customer.rep_id": "\${user.employeeId}" }
  - action: read
    subject: OrderLine
    conditions: { "order.customer.rep_id": "\${user.employeeId}" }
  - action: read
    subject: Customer
    fields: [email]
    inverted: true
    conditions: { vip: true }
    reason: VIP contact details stay with the account director.
masks:
  Customer.email: email
limits:
  maxRows: 50
`,
  'senior_rep.yaml': `
role: senior_rep
description: Senior account managers. As rep, plus VIP emails and balances of their own customers; aggregates of their region.
extends: rep
rules:
  # Later than the parent's cannot: wins on these rows.
  - action: read
    subject: Customer
    fields: [email, balance]
    conditions: { vip: true, rep_id: "\${user.employeeId}" }
  - action: aggregate
    subject: Customer
    fields: [id, region, score, vip, balance]
    conditions: { region: "\${user.region}" }
  # Without a region claim this cannot applies to every order.
  - action: read
    subject: Order
    inverted: true
    conditions: { "customer.region": { $ne: "\${user.region}" } }
    reason: Senior reps handle the orders of their own region only.
masks:
  Customer.email: last4
limits:
  maxRows: { Customer: 80, "*": 60 }
`,
  'regional.yaml': `
role: regional
description: Regional managers. Customers of their region or of their region's reps; paid and shipped orders of their region.
rules:
  - action: read
    subject: Customer
    conditions: { region: "\${user.region}" }
  - action: read
    subject: Customer
    fields: [id, name, region, score, vip, rep_id, created_at]
    conditions: { "rep.region": "\${user.region}" }
  - action: read
    subject: Customer
    inverted: true
    conditions: { score: { $lt: 10 } }
    reason: Customers in collection are handled by the legal team.
  - { action: read, subject: Rep }
  - action: read
    subject: Order
    conditions: { status: { $in: [paid, shipped] }, "customer.region": "\${user.region}" }
masks:
  Customer.name: hash
  Customer.created_at: year
  Customer.balance: "null"
limits:
  maxRows: 40
`,
  'support.yaml': `
role: support
description: Support. Customers outside APAC, scores above 50 outside LATAM, emails of customers with a paid or shipped order (in clear in their own region only); orders not cancelled.
extends: staff
rules:
  - action: read
    subject: Customer
    fields: [id, name, email, region, vip, rep_id, created_at]
    conditions: { region: { $nin: [APAC] } }
  - action: read
    subject: Customer
    fields: [id, score]
    conditions: { score: { $gt: 50 }, region: { $ne: LATAM } }
  # Through a to-many relationship, across sources: no order of the customer is paid or shipped.
  - action: read
    subject: Customer
    fields: [email]
    inverted: true
    conditions: { "orders.status": { $nin: [paid, shipped] } }
    reason: Support writes only to customers with a paid or shipped order.
  - action: read
    subject: Order
    conditions: { status: { $ne: cancelled } }
  - { action: read, subject: OrderLine }
masks:
  Customer.email: { mask: email, unless: { region: "\${user.region}" } }
  Customer.created_at: year
limits:
  maxRows: { Customer: 30, "*": 200 }
`,
  'analyst.yaml': `
role: analyst
description: Analysts. Aggregates of customers (VIPs excluded) and of orders; a few customer fields one by one, scores of customers with a large paid order.
rules:
  - action: aggregate
    subject: Customer
    fields: [id, region, score, vip, balance, created_at]
  - action: aggregate
    subject: Customer
    inverted: true
    conditions: { vip: true }
    reason: VIP accounts are excluded from analytics.
  - action: [read, aggregate]
    subject: Order
    fields: [id, customer_id, amount, status, created_at]
  - action: read
    subject: Customer
    fields: [id, region, vip]
    conditions: { region: { $exists: true } }
  # One order (another source) that is paid and above 500 at once.
  - action: read
    subject: Customer
    fields: [id, region, vip, score]
    conditions: { orders: { $elemMatch: { status: paid, amount: { $gt: 500 } } } }
  - { action: [read, aggregate], subject: OrderLine }
`,
  'auditor.yaml': `
role: auditor
description: Compliance. Reads everything but credit data and large orders, personal data masked.
rules:
  - { action: read, subject: all }
  - action: read
    subject: Customer
    fields: [balance, score]
    inverted: true
    reason: Credit data is out of the audit's scope.
  # \`rep_id: null\` is \`$eq: null\`: IS NULL.
  - action: read
    subject: Customer
    fields: [email]
    inverted: true
    conditions: { rep_id: null }
    reason: Contact data of unassigned customers is held back.
  - action: read
    subject: Order
    inverted: true
    conditions: { amount: { $gt: 900 } }
    reason: Large orders are audited by finance.
masks:
  Customer.name: hash
  Customer.email: redact
  Customer.rep_id: "null"
limits:
  maxRows: 100
`,
};

/** No rule reads `${user.id}`: users differing only by id share one oracle. */
const USES_USER_ID = Object.values(POLICIES).some((t) => t.includes('${user.id}'));
const ROLE_POOL = ['staff', 'rep', 'senior_rep', 'regional', 'support', 'analyst', 'auditor', 'intern'];
const NUM_RUNS = Number(process.env.PROPERTY_RUNS ?? 260);
const SEED = process.env.PROPERTY_SEED ? Number(process.env.PROPERTY_SEED) : (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) | 0;
// The row budget is test/integration/limits.test.ts's subject; here random nesting at maxLimit must reach the policy.
const LIMITS = { defaultLimit: 100, maxLimit: 1000, rowBudget: 1_000_000_000 };
const MAX_PAGES = 6;
/** PROPERTY_COLLECT=1: run every case and list each kind of disagreement once, instead of stopping (and shrinking) at the first. */
const COLLECT = process.env.PROPERTY_COLLECT === '1';
/** A problem without its numbers and values, to group alike ones. */
const kindOf = (p: string) => p.replace(/"[^"]*"/g, '"…"').replace(/\d+/g, '#').slice(0, 160);

const intent = (o: Partial<QueryIntent>): QueryIntent => ({
  kind: 'list',
  entity: 0,
  args: { where: null, order: [], limit: { k: 'cap' }, offset: null },
  nest: [],
  over: false,
  page: 9,
  groupBy: [],
  aggLimit: null,
  key: 0,
  vars: false,
  ...o,
});
const nested = (r: number, nest: QueryIntent['nest'] = []): QueryIntent['nest'][number] => ({ r, args: { where: null, order: [], limit: { k: 'none' }, offset: null }, nest });

/** Run first in every run, whatever the seed: cases where a known kind of mistake would show at once. */
const EXAMPLES: [UserCase, QueryIntent][] = [
  // Customers without a score: `cannot … score < 10` does not match them (comparisons never match NULL), so they stay readable.
  [{ sub: 'u-1', roles: ['regional'], employeeId: 1, region: 'EU', narrow: undefined }, intent({ entityName: 'Customer' })],
  [{ sub: 'u-2', roles: ['regional', 'auditor'], employeeId: 3, region: 'LATAM', narrow: undefined }, intent({ kind: 'connection', entityName: 'Customer' })],
  // A relationship filter sees only the rows its target's policy lets the caller read: support reads no cancelled order.
  [
    { sub: 'u-2', roles: ['support'], employeeId: 1, region: 'EU', narrow: undefined },
    intent({ entityName: 'Customer', args: { where: { t: 'rel', r: 0, name: 'orders', where: { t: 'leaf', f: 0, op: 0, v: 0, n: 0, name: 'status', opName: 'eq', value: 'cancelled' } }, order: [], limit: { k: 'cap' }, offset: null } }),
  ],
  // maxRows: rep may read 50 customers per list, not 51; a relationship's limit applies per parent.
  [{ sub: 'u-1', roles: ['rep'], employeeId: 1, narrow: undefined }, intent({ entityName: 'Customer', over: true })],
  [{ sub: 'u-1', roles: ['regional'], region: 'EU', narrow: undefined }, intent({ entityName: 'Rep', nest: [{ r: 0, args: { where: null, order: [], limit: { k: 'n', n: 3 }, offset: 1 }, nest: [] }] })],
  // Cursor pages ordered by a nullable field: the NULLs come after the last non-NULL value.
  [{ sub: 'u-1', roles: ['auditor'], narrow: undefined }, intent({ kind: 'connection', entityName: 'Customer', args: { where: null, order: [{ f: 0, dir: 'ASC', name: 'region' }], limit: { k: 'none' }, offset: null } })],
  // Own customers' orders across sources, their lines and customer; a cannot through a relationship.
  [{ sub: 'u-1', roles: ['senior_rep'], employeeId: 2, region: 'NA', narrow: undefined }, intent({ entityName: 'Order', nest: [nested(0, [nested(0)]), nested(1)] })],
  // Two roles on one field: masked for one, in clear (conditionally) for the other.
  [{ sub: 'u-2', roles: ['support', 'rep'], employeeId: 1, region: 'EU', narrow: undefined }, intent({ entityName: 'Customer', nest: [nested(0, [nested(0)])], vars: true })],
  // The aggregate right apart from reading: VIPs excluded, every group.
  [{ sub: 'u-3', roles: ['analyst'], employeeId: 5, narrow: undefined }, intent({ kind: 'aggregate', entityName: 'Customer', groupBy: [1, 3] })],
  // No region: senior_rep's `cannot` whose placeholder has no value applies to every order.
  [{ sub: 'u-3', roles: ['senior_rep'], employeeId: 2, narrow: undefined }, intent({ entityName: 'Order' })],
  // No employeeId: rep's `can` rules drop out (support still reads orders not cancelled).
  [{ sub: 'u-3', roles: ['senior_rep', 'support'], employeeId: null, region: 'NA', narrow: undefined }, intent({ entityName: 'Order' })],
];

const data = fixtureData();
const model = parseModel(FIXTURE_MODEL);
const tables = new Tables(model, { Customer: data.customers, Rep: data.reps, Order: data.orders, OrderLine: data.lines, Product: data.products } as unknown as Record<string, Row[]>);
const pool = new ValuePool(model, tables);

/** Keyed hashes seen in this run: equal clear values must hash equal, different ones differently. */
const hashOf = new Map<string, string>();
const clearOf = new Map<string, string>();

// ───────────────────────────── the role set's schema, by introspection ─────────────────────────────

const INTROSPECT = `{
  __schema {
    queryType { fields { name args { name } type { ...T } } }
    types { name kind fields { name type { ...T } } inputFields { name type { ...T } } enumValues { name } }
  }
  me { roles }
  myAccess { entity read fields filterable aggregate aggregateFields maxRows }
}
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }`;

interface TypeRef {
  kind: string;
  name: string | null;
  ofType?: TypeRef | null;
}
const named = (t: TypeRef): TypeRef => (t.ofType ? named(t.ofType) : t);
const isList = (t: TypeRef): boolean => t.kind === 'LIST' || (!!t.ofType && isList(t.ofType));

interface Introspected {
  schema: SchemaInfo;
  me: string[];
  access: { entity: string; read: boolean; fields: string[]; filterable: string[]; aggregate: boolean; aggregateFields: string[]; maxRows: number | null }[];
}

function schemaInfo(d: any): SchemaInfo {
  const types = new Map<string, any>(d.__schema.types.map((t: any) => [t.name, t]));
  const entities = new Set(model.keys());
  const inputInfo = (typeName: string): InputInfo | undefined => {
    const t = types.get(typeName);
    if (!t) return undefined;
    const info: InputInfo = { typeName, fields: [], rels: [] };
    for (const f of t.inputFields as { name: string; type: TypeRef }[]) {
      if (['and', 'or', 'not'].includes(f.name)) continue;
      const n = named(f.type).name!;
      if (n.endsWith('Filter')) info.fields.push({ name: f.name, ops: types.get(n).inputFields.map((x: { name: string }) => x.name) });
      else info.rels.push({ name: f.name, target: n.replace(/Where$/, '') });
    }
    return info;
  };
  const out: SchemaInfo = new Map();
  const get = (name: string): EntitySchema => {
    let e = out.get(name);
    if (!e) {
      const t = types.get(name);
      const fields: string[] = [];
      const rels: EntitySchema['rels'] = [];
      for (const f of (t?.fields ?? []) as { name: string; type: TypeRef }[]) {
        const n = named(f.type);
        if (n.kind === 'OBJECT' && entities.has(n.name!)) rels.push({ name: f.name, target: n.name!, many: isList(f.type) });
        else fields.push(f.name);
      }
      const orderBy = types.get(`${name}OrderBy`)?.inputFields.map((x: { name: string }) => x.name) ?? [];
      e = { name, fields, rels, where: inputInfo(`${name}Where`), orderBy };
      out.set(name, e);
    }
    return e;
  };
  for (const f of d.__schema.queryType.fields as { name: string; args: { name: string }[]; type: TypeRef }[]) {
    const n = named(f.type).name!;
    if (entities.has(n)) {
      if (isList(f.type)) get(n).list = f.name;
      else get(n).byKey = { field: f.name, arg: f.args[0].name };
    } else if (n.endsWith('Connection') && entities.has(n.slice(0, -'Connection'.length))) get(n.slice(0, -'Connection'.length)).connection = f.name;
    else if (n.endsWith('Aggregate') && entities.has(n.slice(0, -'Aggregate'.length))) {
      const en = n.slice(0, -'Aggregate'.length);
      const whereArg = (f as any).args.find((a: { name: string }) => a.name === 'where');
      const fieldsOf = (t: string) => (types.get(t)?.fields ?? []).map((x: { name: string }) => x.name) as string[];
      const aggWhereType = types.has(`${en}AggregateWhere`) ? `${en}AggregateWhere` : `${en}Where`;
      get(en).aggregate = {
        field: f.name,
        where: whereArg ? inputInfo(aggWhereType) : undefined,
        groupBy: (types.get(`${en}Field`)?.enumValues ?? []).map((x: { name: string }) => x.name),
        countDistinct: fieldsOf(`${en}CountDistinct`),
        sum: fieldsOf(`${en}Sum`),
        avg: fieldsOf(`${en}Avg`),
        min: fieldsOf(`${en}MinMax`),
        max: fieldsOf(`${en}MinMax`),
      };
    }
  }
  return out;
}

// ───────────────────────────── checking one answer ─────────────────────────────

/** What the cases of one run covered, printed at the end. */
interface Stats {
  kinds: Record<string, number>;
  rows: number;
  clear: number;
  masked: number;
  hidden: number;
  groups: number;
  refused: number;
  vars: number;
}
const newStats = (): Stats => ({ kinds: {}, rows: 0, clear: 0, masked: 0, hidden: 0, groups: 0, refused: 0, vars: 0 });

class Check {
  readonly problems: string[] = [];
  constructor(
    readonly u: UserOracle,
    readonly engine: Engine,
    readonly stats: Stats = newStats(),
  ) {}
  fail(msg: string) {
    if (this.problems.length < 25) this.problems.push(msg);
  }

  /** The rows a list returns: readable, matching the user's filter, ordered, then offset and limit (default: min(defaultLimit, maxRows)). */
  page(entity: string, candidates: Row[], args: ListArgs): Row[] {
    const e = model.get(entity)!;
    const rows = candidates.filter((r) => this.u.canRead(entity, r) && (!args.where || evalWhere(this.u, e, args.where, r) === true));
    const sorted = sortRows(e, rows, args.orderBy ?? [], this.engine);
    const offset = args.offset ?? 0;
    const limit = args.limit ?? Math.min(LIMITS.defaultLimit, this.u.cap(entity) ?? Infinity);
    return sorted.slice(offset, offset + limit);
  }

  list(sel: Sel, got: unknown, expected: Row[], path: string) {
    const e = model.get(sel.entity)!;
    if (!Array.isArray(got)) return this.fail(`${path}: expected a list of ${expected.length}, got ${JSON.stringify(got)}`);
    const gotIds = got.map((g) => (g as Row)[e.key]);
    const expIds = expected.map((r) => r[e.key]);
    if (JSON.stringify(gotIds) !== JSON.stringify(expIds)) return this.fail(`${path}: expected ${sel.entity} keys [${expIds.join(',')}], got [${gotIds.join(',')}]`);
    this.stats.rows += got.length;
    got.forEach((g, i) => this.row(sel, g as Row, expected[i], `${path}[${i}]`));
  }

  row(sel: Sel, got: Row, exp: Row, path: string) {
    const e = model.get(sel.entity)!;
    const at = `${path}(${sel.entity} ${String(exp[e.key])})`;
    for (const f of sel.fields) this.field(sel.entity, f, got[f], exp, `${at}.${f}`);
    for (const r of sel.rels) {
      const rel = e.relationships.get(r.name)!;
      const related = tables.related(rel, exp);
      if (r.many) this.list(r.sel, got[r.name], this.page(r.target, related, r.args), `${at}.${r.name}`);
      else {
        const target = related.find((x) => this.u.canRead(r.target, x)) ?? null;
        if (target === null) {
          if (got[r.name] !== null) this.fail(`${at}.${r.name}: expected null (no readable ${r.target}), got ${JSON.stringify(got[r.name])}`);
        } else if (!got[r.name]) this.fail(`${at}.${r.name}: expected ${r.target} ${String(target[model.get(r.target)!.key])}, got null`);
        else {
          const g = got[r.name] as Row;
          const key = model.get(r.target)!.key;
          if (g[key] !== target[key]) this.fail(`${at}.${r.name}: expected ${r.target} ${String(target[key])}, got ${String(g[key])}`);
          else this.row(r.sel, g, target, `${at}.${r.name}`);
        }
      }
    }
  }

  field(entity: string, f: string, got: unknown, exp: Row, path: string) {
    const type = model.get(entity)!.fields.get(f)!.type;
    const clear = exp[f] ?? null;
    const st = this.u.fieldState(entity, exp, f);
    this.stats[!st.visible ? 'hidden' : st.clear ? 'clear' : 'masked']++;
    if (!st.visible) {
      if (got !== null) this.fail(`${path}: not readable on this row, expected null, got ${JSON.stringify(got)}`);
      return;
    }
    if (st.clear) {
      if (!sameApiValue(type, got, clear)) this.fail(`${path}: expected ${JSON.stringify(apiValue(type, clear))} in clear, got ${JSON.stringify(got)}`);
      return;
    }
    const forms: string[] = [];
    const ok = st.masks.some((k) => {
      const m = maskValue(k, type, clear);
      if ('hash' in m) {
        forms.push(`${k}: h_…`);
        if (typeof got !== 'string' || !HASH_SHAPE.test(got)) return false;
        const c = String(clear);
        const h = hashOf.get(c), back = clearOf.get(got);
        if ((h !== undefined && h !== got) || (back !== undefined && back !== c)) {
          this.fail(`${path}: hash ${got} of ${JSON.stringify(c)} is inconsistent (that value hashed to ${h}; that hash came from ${JSON.stringify(back)})`);
          return true;
        }
        hashOf.set(c, got);
        clearOf.set(got, c);
        return true;
      }
      forms.push(`${k}: ${JSON.stringify(m.value)}`);
      return type === 'DateTime' && m.value !== null ? sameApiValue(type, got, m.value) : got === m.value;
    });
    if (!ok) this.fail(`${path}: expected masked (${forms.join(' | ')}) of ${JSON.stringify(apiValue(type, clear))}, got ${JSON.stringify(got)}`);
  }

  /** What the schema offers must be safe for this caller: filterable, orderable and join fields in clear on every readable row; aggregate fields aggregable on every aggregable row. */
  schema(schema: SchemaInfo) {
    const u = this.u;
    for (const e of model.values()) {
      const es = schema.get(e.name);
      const readable = u.readable(e.name);
      if (readable.length && !es?.list) this.fail(`schema: ${e.name} has ${readable.length} readable rows but no list field`);
      if (!es) continue;
      const mustBeClear = new Set([...(es.where?.fields.map((f) => f.name) ?? []), ...es.orderBy]);
      for (const r of es.rels) for (const [local] of e.relationships.get(r.name)!.on) mustBeClear.add(local);
      for (const f of mustBeClear)
        for (const x of readable) {
          const st = u.fieldState(e.name, x, f);
          if (!st.visible || !st.clear) {
            this.fail(`schema: ${e.name}.${f} may be filtered/ordered/joined on, but on ${e.name} ${String(x[e.key])} it is ${st.visible ? 'masked' : 'not readable'}`);
            break;
          }
        }
      for (const f of e.fields.keys())
        if (!es.fields.includes(f) && readable.some((x) => u.fieldState(e.name, x, f).visible)) this.fail(`schema: ${e.name}.${f} is readable on some rows but not offered`);
      if (es.aggregate) {
        const rows = tables.rows[e.name].filter((x) => u.canAggregate(e.name, x));
        const aggFields = new Set([...es.aggregate.groupBy, ...(es.aggregate.where?.fields.map((f) => f.name) ?? []), ...es.aggregate.sum, ...es.aggregate.min]);
        for (const f of aggFields)
          for (const x of rows)
            if (!u.roles.some((r) => u.roleCan(r, 'aggregate', e.name, x, f) && !u.maskOf(r, e.name, f))) {
              this.fail(`schema: ${e.name}.${f} is offered for aggregates, but no role may aggregate it in clear on ${e.name} ${String(x[e.key])}`);
              break;
            }
      } else if (tables.rows[e.name].some((x) => u.canAggregate(e.name, x))) this.fail(`schema: ${e.name} has aggregable rows but no aggregate field`);
    }
  }

  aggregate(q: Extract<QuerySpec, { kind: 'aggregate' }>, got: unknown) {
    const e = model.get(q.entity)!;
    const rows = tables.rows[q.entity].filter((x) => this.u.canAggregate(q.entity, x) && (!q.where || evalWhere(this.u, e, q.where, x) === true));
    let groups = groupRows(e, rows, q.groupBy, this.engine);
    // maxRows caps the groups too (default: min(defaultLimit, maxRows)).
    if (q.groupBy.length) groups = groups.slice(0, q.limit ?? Math.min(LIMITS.defaultLimit, this.u.cap(q.entity) ?? Infinity));
    if (!Array.isArray(got) || got.length !== groups.length)
      return this.fail(`aggregate: expected ${groups.length} groups (${groups.map((g) => `${JSON.stringify(g.key)}×${g.rows.length}`).join(', ')}), got ${JSON.stringify(got)}`);
    this.stats.groups += groups.length;
    groups.forEach((g, i) => {
      const a = got[i] as Record<string, any>;
      const at = `aggregate[${i}] ${JSON.stringify(g.key)}`;
      const type = (f: string) => e.fields.get(f)!.type;
      q.groupBy.forEach((f, j) => {
        if (!sameApiValue(type(f), a.group?.[f] ?? null, g.key[j])) this.fail(`${at}: group.${f} expected ${JSON.stringify(apiValue(type(f), g.key[j]))}, got ${JSON.stringify(a.group?.[f])}`);
      });
      if (a.count !== g.rows.length) this.fail(`${at}: count expected ${g.rows.length}, got ${a.count}`);
      const vals = (f: string) => g.rows.map((r) => r[f] ?? null).filter((v) => v !== null);
      for (const f of q.pick.countDistinct) {
        const n = new Set(vals(f).map((v) => (v instanceof Date ? v.getTime() : type(f) === 'Decimal' ? Number(v) : v))).size;
        if (a.countDistinct?.[f] !== n) this.fail(`${at}: countDistinct.${f} expected ${n}, got ${a.countDistinct?.[f]}`);
      }
      for (const f of q.pick.sum) {
        const v = vals(f);
        const gotv = a.sum?.[f] ?? null;
        if (!v.length) {
          if (gotv !== null) this.fail(`${at}: sum.${f} expected null, got ${gotv}`);
        } else if (type(f) === 'Decimal') {
          if (gotv === null || sumCents([gotv]) !== sumCents(v)) this.fail(`${at}: sum.${f} expected ${Number(sumCents(v)) / 100}, got ${gotv}`);
        } else if (gotv === null || BigInt(String(gotv)) !== v.reduce<bigint>((s, x) => s + BigInt(Number(x)), 0n)) this.fail(`${at}: sum.${f} expected ${v.reduce<number>((s, x) => s + Number(x), 0)}, got ${gotv}`);
      }
      for (const f of q.pick.avg) {
        const v = vals(f).map(Number);
        const gotv = a.avg?.[f] ?? null;
        const mean = v.length ? v.reduce((s, x) => s + x, 0) / v.length : null;
        if (mean === null ? gotv !== null : gotv === null || Math.abs(Number(gotv) - mean) > 0.005) this.fail(`${at}: avg.${f} expected ${mean}, got ${gotv}`);
      }
      for (const fn of ['min', 'max'] as const)
        for (const f of q.pick[fn]) {
          const v = sortRows(e, g.rows.filter((r) => (r[f] ?? null) !== null), [[f, 'ASC']], this.engine);
          const want = v.length ? (fn === 'min' ? v[0] : v[v.length - 1])[f] : null;
          const gotv = a[fn]?.[f] ?? null;
          if (!sameApiValue(type(f), gotv, want)) this.fail(`${at}: ${fn}.${f} expected ${JSON.stringify(apiValue(type(f), want))}, got ${JSON.stringify(gotv)}`);
        }
    });
  }
}

// ───────────────────────────── the oracle against CASL ─────────────────────────────

/**
 * A second, in-memory check of the oracle's rule evaluation: CASL's own `ability.can` on the same
 * rules (placeholders filled, rules without a value dropped as docs/POLICIES.md says), on rows
 * with their to-one relationships embedded. Skipped where the semantics differ on purpose: CASL
 * compares NULL as 0 in $lt/$gt and counts a NULL as existing in $exists.
 */
describe('the oracle', () => {
  const oracle = new PolicyOracle(model, tables, POLICIES, 'postgres');
  const embedded = new Map<string, Map<unknown, Row>>();
  const embed = (e: EntityDef, row: Row, depth: number): Row => {
    const out: Row = { ...row };
    if (depth > 0)
      for (const rel of e.relationships.values()) {
        // To-one as an object (two levels: order.customer.rep_id), to-many as an array (one level: orders.status).
        if (rel.many) {
          if (depth === 2) out[rel.name] = tables.related(rel, row).map((r) => ({ ...r }));
          continue;
        }
        const r = tables.related(rel, row)[0];
        if (r) out[rel.name] = embed(model.get(rel.target)!, r, depth - 1);
      }
    return out;
  };
  for (const e of model.values()) embedded.set(e.name, new Map(tables.rows[e.name].map((r) => [r[e.key], embed(e, r, 2)])));
  const fill = (node: unknown, attrs: Record<string, unknown>): unknown => {
    if (typeof node === 'string') {
      const m = /^\$\{user\.(\w+)\}$/.exec(node);
      if (!m) return node;
      if (attrs[m[1]] === undefined) throw new Error('missing');
      return attrs[m[1]];
    }
    if (Array.isArray(node)) return node.map((n) => fill(n, attrs));
    if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, fill(v, attrs)]));
    return node;
  };
  const at = (row: unknown, path: string): unknown => path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Row)[k] : undefined), row);

  test('agrees with CASL ability.can on every role, row and field where their NULL semantics agree', () => {
    let compared = 0;
    const wrong: string[] = [];
    for (const [role, policy] of oracle.roles)
      for (const [employeeId, region] of [[1, 'EU'], [3, 'APAC'], [5, undefined], [undefined, 'NA'], [undefined, undefined]]) {
        const attrs = { employeeId, region };
        const raw = policy.rules.flatMap((r) => {
          let conditions = r.conditions;
          try {
            conditions = conditions && (fill(conditions, attrs) as Record<string, unknown>);
          } catch {
            if (!r.inverted) return [];
            conditions = undefined;
          }
          return [{ action: r.actions, subject: r.subjects, fields: r.fields, conditions, inverted: r.inverted }];
        });
        const ability = createMongoAbility(raw as never);
        const u = oracle.forUser({ id: 'u', roles: [role], attributes: attrs });
        // Paths compared with $lt/$lte/$gt/$gte or tested with $exists, per entity: rows with NULL there are skipped.
        const nullSensitive = (entity: string) =>
          raw
            .filter((r) => r.conditions && (r.subject.includes(entity) || r.subject.includes('all')))
            .flatMap((r) => Object.entries(r.conditions!).filter(([, v]) => v && typeof v === 'object' && Object.keys(v).some((k) => ['$lt', '$lte', '$gt', '$gte', '$exists'].includes(k))).map(([k]) => k));
        for (const e of model.values()) {
          const paths = nullSensitive(e.name);
          for (const row of tables.rows[e.name]) {
            const obj = embedded.get(e.name)!.get(row[e.key])!;
            if (paths.some((p) => at(obj, p) === null || at(obj, p) === undefined)) continue;
            for (const action of ['read', 'aggregate'] as const)
              for (const field of [undefined, ...e.fields.keys()]) {
                compared++;
                const mine = u.roleCan(role, action, e.name, row, field);
                const casl = ability.can(action, subject(e.name, obj), field);
                if (mine !== casl && wrong.length < 10) wrong.push(`${role} ${JSON.stringify(attrs)} ${action} ${e.name} ${String(row[e.key])} ${field ?? '(row)'}: oracle ${mine}, CASL ${casl}`);
              }
          }
        }
      }
    expect(wrong).toEqual([]);
    expect(compared).toBeGreaterThan(100_000);
  });
});

// ───────────────────────────── the property ─────────────────────────────

describe.each(['postgres', 'mysql'] as const)('policy enforcement on %s (property, oracle)', (engine: Engine) => {
  let setup: EngineSetup;
  let gw: Gateway;
  let url: string;
  let oracle: PolicyOracle;
  const schemas = new Map<string, Promise<Introspected>>();
  let cases = 0;
  const collected: { kinds: string[]; report: string }[] = [];
  const users = new Map<string, { u: UserOracle; schemaProblems?: string[] }>();
  const stats = newStats();

  beforeAll(async () => {
    setup = await setupEngine(engine, data);
    ({ gw, url } = await startGateway(setup.sources, { policies: POLICIES, extraConfig: TEST_IDENTITY, prepare: setup.prepare, limits: LIMITS }));
    oracle = new PolicyOracle(model, tables, POLICIES, engine);
  }, 120_000);

  afterAll(async () => {
    await gw?.close();
    await setup?.cleanup();
  });

  const post = async (query: string, variables: Record<string, unknown>, token: string, role?: string) => {
    const r = await postGraphQL(url, query, variables, { ...bearer(token), ...(role === undefined ? {} : { 'x-datagate-role': role }) });
    return r.body;
  };

  const introspect = (key: string, token: string, role?: string): Promise<Introspected> => {
    let p = schemas.get(key);
    if (!p) {
      p = post(INTROSPECT, {}, token, role).then((b) => {
        if (b.errors) throw new Error(`introspection failed: ${JSON.stringify(b.errors)}`);
        return { schema: schemaInfo(b.data), me: b.data.me.roles, access: b.data.myAccess };
      });
      schemas.set(key, p);
    }
    return p;
  };

  async function runCase(user: UserCase, intent: QueryIntent): Promise<void> {
    cases++;
    // Users alike share one oracle (and its caches) and one check of what the schema offers them.
    const narrow = narrowedRole(user);
    const roles = narrow === undefined ? user.roles : [narrow];
    const userKey = JSON.stringify([[...new Set(roles)].sort(), USES_USER_ID ? user.sub : '', user.employeeId, user.region]);
    let known = users.get(userKey);
    if (!known) {
      const o = oracle.forUser({ id: user.sub, roles, attributes: { employeeId: user.employeeId, region: user.region } });
      users.set(userKey, (known = { u: o }));
    }
    const u = known.u;
    const token = await mintToken(claimsOf(user));
    const info = await introspect(u.roles.join('+'), token, narrow);
    const check = new Check(u, engine, stats);

    // The role set: the token's roles that have a policy; its maxRows per entity.
    if (JSON.stringify([...info.me].sort()) !== JSON.stringify(u.roles)) check.fail(`me.roles: expected ${JSON.stringify(u.roles)}, got ${JSON.stringify(info.me)}`);
    for (const a of info.access)
      if (a.read && (a.maxRows ?? undefined) !== u.cap(a.entity)) check.fail(`myAccess(${a.entity}).maxRows: expected ${u.cap(a.entity)}, got ${a.maxRows}`);
    if (!known.schemaProblems) {
      const c = new Check(u, engine);
      c.schema(info.schema);
      known.schemaProblems = c.problems;
    }
    for (const p of known.schemaProblems) check.fail(p);

    const spec = materialize({ schema: info.schema, model, pool, cap: (e) => u.cap(e), ...LIMITS }, intent);
    const { query, variables } = toGraphQL(spec, intent.vars);
    const kind = spec.kind === 'list' || spec.kind === 'connection' ? `${spec.kind}${spec.over ? ' (over the cap)' : spec.sel.rels.length ? ' (nested)' : ''}` : spec.kind;
    stats.kinds[kind] = (stats.kinds[kind] ?? 0) + 1;
    if (intent.vars && spec.kind !== 'none') stats.vars++;
    const transcript: string[] = [];
    const ask = async (vars: Record<string, unknown>) => {
      const b = await post(query, vars, token, narrow);
      transcript.push(`variables ${JSON.stringify(vars)} → ${JSON.stringify(b).slice(0, 1500)}`);
      return b;
    };

    switch (spec.kind) {
      case 'none': {
        const b = await ask(variables);
        if (b.errors) check.fail(`errors: ${JSON.stringify(b.errors)}`);
        else if (b.data.myAccess.length) check.fail(`a caller without a role reads ${JSON.stringify(b.data.myAccess)}`);
        break;
      }
      case 'list': {
        const b = await ask(variables);
        if (spec.over) {
          stats.refused++;
          if (b.errors?.[0]?.extensions?.code !== 'LIMIT_EXCEEDED' || b.data?.r != null) check.fail(`limit ${spec.args.limit} above the cap ${u.cap(spec.entity)}: expected LIMIT_EXCEEDED, got ${JSON.stringify(b).slice(0, 300)}`);
        } else if (b.errors) check.fail(`errors: ${JSON.stringify(b.errors)}`);
        else check.list(spec.sel, b.data.r, check.page(spec.entity, tables.rows[spec.entity], spec.args), spec.field);
        break;
      }
      case 'byKey': {
        const b = await ask(variables);
        const e = model.get(spec.entity)!;
        const row = tables.rows[spec.entity].find((r) => r[e.key] === spec.key && u.canRead(spec.entity, r)) ?? null;
        if (b.errors) check.fail(`errors: ${JSON.stringify(b.errors)}`);
        else if (row === null) {
          if (b.data.r !== null) check.fail(`${spec.field}(${spec.key}): not readable, expected null, got ${JSON.stringify(b.data.r)}`);
        } else if (!b.data.r) check.fail(`${spec.field}(${spec.key}): readable, expected the row, got null`);
        else check.row(spec.sel, b.data.r, row, spec.field);
        break;
      }
      case 'connection': {
        const all = check.page(spec.entity, tables.rows[spec.entity], { where: spec.where, orderBy: spec.orderBy, limit: Infinity });
        // Pages large enough to walk to the end (where NULLs sort last) within MAX_PAGES, never above the cap.
        const first = spec.over ? spec.first : Math.min(Math.min(u.cap(spec.entity) ?? LIMITS.maxLimit, LIMITS.maxLimit), Math.max(spec.first, Math.ceil(all.length / MAX_PAGES)));
        let after: string | null = null;
        for (let p = 0, pos = 0; p < MAX_PAGES; p++) {
          const b = await ask({ ...variables, first, after });
          if (spec.over) {
            stats.refused++;
            if (b.errors?.[0]?.extensions?.code !== 'LIMIT_EXCEEDED' || b.data?.r != null) check.fail(`first ${first} above the cap ${u.cap(spec.entity)}: expected LIMIT_EXCEEDED, got ${JSON.stringify(b).slice(0, 300)}`);
            break;
          }
          if (b.errors) {
            check.fail(`errors: ${JSON.stringify(b.errors)}`);
            break;
          }
          const c = b.data.r;
          const at = `${spec.field} page ${p + 1}`;
          if (c.totalCount !== all.length) check.fail(`${at}: totalCount expected ${all.length}, got ${c.totalCount}`);
          const expected = all.slice(pos, pos + first);
          check.list(spec.sel, c.edges.map((x: { node: Row }) => x.node), expected, `${at}.edges`);
          const more = pos + first < all.length;
          if (c.pageInfo.hasNextPage !== more) check.fail(`${at}: hasNextPage expected ${more}, got ${c.pageInfo.hasNextPage}`);
          if (c.pageInfo.hasPreviousPage !== (after !== null)) check.fail(`${at}: hasPreviousPage expected ${after !== null}, got ${c.pageInfo.hasPreviousPage}`);
          if (c.edges.length && c.pageInfo.endCursor !== c.edges[c.edges.length - 1].cursor) check.fail(`${at}: endCursor is not the last edge's cursor`);
          if (check.problems.length || !more || !c.pageInfo.endCursor) break;
          after = c.pageInfo.endCursor;
          pos += first;
        }
        break;
      }
      case 'aggregate': {
        const b = await ask(variables);
        if (b.errors) check.fail(`errors: ${JSON.stringify(b.errors)}`);
        else check.aggregate(spec, b.data.r);
        break;
      }
    }

    if (check.problems.length) {
      const report = [
        `${engine}: the gateway disagrees with the oracle`,
        `user: ${JSON.stringify(claimsOf(user))}${narrow === undefined ? '' : ` with x-datagate-role: ${narrow}`} (request roles with a policy: ${u.roles.join(', ') || 'none'})`,
        `query: ${query}`,
        ...transcript.map((t) => `  ${t}`),
        'problems:',
        ...check.problems.map((p) => `  - ${p}`),
      ].join('\n');
      if (!COLLECT) throw new Error(report);
      collected.push({ kinds: check.problems.map(kindOf), report });
    }
  }

  test(`${NUM_RUNS} random users and queries agree with the oracle`, async () => {
    const started = Date.now();
    try {
      await fc.assert(
        fc.asyncProperty(userArb(ROLE_POOL), queryArb, (user, intent) => runCase(user, intent)),
        { numRuns: NUM_RUNS, seed: SEED, examples: EXAMPLES },
      );
    } catch (e) {
      console.log(`policy property failed on ${engine}; replay with PROPERTY_SEED=${SEED}\n${(e as Error).message}`);
      throw e;
    }
    if (collected.length) {
      const seen = new Map<string, { n: number; report: string }>();
      for (const c of collected)
        for (const k of c.kinds) {
          const e = seen.get(k);
          if (e) e.n++;
          else seen.set(k, { n: 1, report: c.report });
        }
      const summary = [...seen].map(([k, v]) => `${v.n}× ${k}\n  first seen in:\n${v.report.split('\n').map((l) => `    ${l}`).join('\n')}`);
      console.log(`policy property on ${engine}: ${collected.length} of ${NUM_RUNS} cases disagree (seed ${SEED})\n\n${summary.join('\n\n')}`);
      throw new Error(`${collected.length} of ${NUM_RUNS} cases disagree with the oracle on ${engine} (seed ${SEED}); see the log above`);
    }
    const kinds = Object.entries(stats.kinds).map(([k, n]) => `${n} ${k}`).join(', ');
    console.log(
      `policy property on ${engine}: ${cases} cases passed in ${Date.now() - started} ms (seed ${SEED}, ${users.size} distinct users, ${schemas.size} role sets): ${kinds}; ` +
        `${stats.rows} rows with ${stats.clear} clear, ${stats.masked} masked and ${stats.hidden} hidden field values checked, ${stats.groups} aggregate groups, ${stats.refused} over-the-cap requests refused; ${stats.vars} cases sent their arguments as variables`,
    );
  }, Math.max(170_000, NUM_RUNS * 700));
});

