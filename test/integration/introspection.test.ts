import { getIntrospectionQuery, type IntrospectionNamedTypeRef, type IntrospectionObjectType, type IntrospectionQuery, type IntrospectionType } from 'graphql';
import type { Gateway } from '../../src/server';
import { setupEngine, type EngineSetup } from '../support/engines';
import { ADMIN_POLICY, startGateway, TEST_IDENTITY } from '../support/fixture';
import { postGraphQL } from '../support/gql';
import { bearer, mintToken } from '../support/tokens';

/**
 * Each role's schema, as standard introspection shows it, is exactly what its policy grants: the
 * expected entities, root fields, object fields, where/orderBy inputs and groupBy values are written
 * out below from the policies, and hidden names appear nowhere in the role's introspection text.
 */

const POLICIES: Record<string, string> = {
  'anonymous.yaml': `
role: anonymous
description: The public catalogue.
rules:
  - { action: read, subject: Product, fields: [id, name] }
`,
  'rep.yaml': `
role: rep
description: Account managers.
rules:
  - action: read
    subject: Customer
    fields: [id, name, email, region, rep_id]
    conditions: { rep_id: "\${user.employeeId}" }
  - { action: read, subject: Order, conditions: { "customer.rep_id": "\${user.employeeId}" } }
  - { action: aggregate, subject: Order, fields: [status, amount], conditions: { "customer.rep_id": "\${user.employeeId}" } }
  - { action: read, subject: OrderLine, conditions: { "order.customer.rep_id": "\${user.employeeId}" } }
masks:
  Customer.email: email
limits:
  maxRows: 50
`,
  'marketing.yaml': `
role: marketing
description: Marketing. Emails in clear for VIPs only; may aggregate scores it cannot read.
rules:
  - { action: read, subject: Customer, fields: [id, name, email, region, vip, created_at] }
  - { action: aggregate, subject: Customer, fields: [region, vip, score] }
masks:
  Customer.email: { mask: email, unless: { vip: true } }
`,
  'auditor.yaml': `
role: auditor
description: Compliance. Customers and orders, names hashed, emails redacted, small pages.
rules:
  - { action: read, subject: [Customer, Order] }
  - { action: read, subject: Customer, fields: [balance], inverted: true, conditions: { vip: true }, reason: VIP balances are confidential }
masks:
  Customer.name: hash
  Customer.email: redact
limits:
  maxRows: 25
`,
  ...ADMIN_POLICY,
};

interface EntityExpectation {
  /** Object fields, relationships included, in schema order. */
  fields: string[];
  where?: string[];
  orderBy?: string[];
  /** Fields of the aggregate right (groupBy enum), and its where input. Absent: no aggregate root field. */
  aggregate?: { fields: string[]; where: string; whereFields?: string[]; sum?: string[]; minMax?: string[] };
  /** Absent: no read root fields (list, by key, connection). */
  read?: false;
}

interface RoleExpectation {
  claims: Record<string, unknown> | null;
  entities: Record<string, EntityExpectation>;
  /** Words (whole words, case-sensitive) that must appear nowhere in the role's introspection. */
  hidden: string[];
  /** Field → what its description must say. */
  descriptions?: Record<string, RegExp>;
  rootDescriptions?: Record<string, RegExp>;
}

const W = ['and', 'or', 'not'];
const ALL = {
  Customer: ['id', 'name', 'email', 'region', 'score', 'balance', 'vip', 'created_at', 'rep_id'],
  Rep: ['id', 'name', 'region'],
  Order: ['id', 'customer_id', 'amount', 'status', 'created_at'],
  OrderLine: ['id', 'order_id', 'product_id', 'qty'],
  Product: ['id', 'name', 'price'],
};
const RELS = { Customer: ['rep', 'orders'], Rep: ['customers'], Order: ['customer', 'lines'], OrderLine: ['order', 'product'], Product: [] as string[] };
const ROOT = { Customer: 'customers', Rep: 'reps', Order: 'orders', OrderLine: 'orderLines', Product: 'products' };
const SINGULAR = { Customer: 'customer', Rep: 'rep', Order: 'order', OrderLine: 'orderLine', Product: 'product' };
/** The hand-written API (resolvers/): the same root fields for every role; each resolver decides what it answers. */
const HAND_WRITTEN = ['accessRequest', 'accessRequests', 'auditLog', 'catalog', 'health', 'me', 'myAccess', 'myGrants', 'quality', 'qualityHistory', 'sources', 'whyNot'];
const NUMERIC = new Set(['id', 'score', 'balance', 'rep_id', 'customer_id', 'amount', 'order_id', 'product_id', 'qty', 'price']);
const BOOLEAN = new Set(['vip']);

const admin: Record<string, EntityExpectation> = Object.fromEntries(
  (Object.keys(ALL) as (keyof typeof ALL)[]).map((e) => [
    e,
    {
      fields: [...ALL[e], ...RELS[e]],
      where: [...W, ...ALL[e], ...RELS[e]],
      orderBy: ALL[e],
      aggregate: { fields: ALL[e], where: `${e}Where`, sum: ALL[e].filter((f) => NUMERIC.has(f)), minMax: ALL[e].filter((f) => !BOOLEAN.has(f)) },
    },
  ]),
);

const ROLES: Record<string, RoleExpectation> = {
  anonymous: {
    claims: null,
    entities: { Product: { fields: ['id', 'name'], where: [...W, 'id', 'name'], orderBy: ['id', 'name'] } },
    hidden: ['price', 'Customer', 'customers', 'Order', 'orders', 'OrderLine', 'Rep', 'reps', 'email', 'score', 'balance', 'vip', 'rep_id', 'amount', 'Aggregate'],
  },
  rep: {
    claims: { sub: 'ana', roles: ['rep'], employee_id: 1 },
    entities: {
      Customer: { fields: ['id', 'name', 'email', 'region', 'rep_id', 'orders'], where: [...W, 'id', 'name', 'region', 'rep_id', 'orders'], orderBy: ['id', 'name', 'region', 'rep_id'] },
      Order: {
        fields: [...ALL.Order, 'customer', 'lines'],
        where: [...W, ...ALL.Order, 'customer', 'lines'],
        orderBy: ALL.Order,
        aggregate: { fields: ['amount', 'status'], where: 'OrderAggregateWhere', whereFields: [...W, 'amount', 'status', 'customer', 'lines'], sum: ['amount'], minMax: ['amount', 'status'] },
      },
      OrderLine: { fields: [...ALL.OrderLine, 'order'], where: [...W, ...ALL.OrderLine, 'order'], orderBy: ALL.OrderLine },
    },
    hidden: ['score', 'balance', 'vip', 'price', 'Product', 'products', 'product', 'Rep', 'reps', 'rep', 'customersAggregate'],
    descriptions: { 'Customer.email': /Masked for your role: shown as a\*\*\*@domain/ },
    rootDescriptions: { customers: /at most 50 rows/, ordersConnection: /at most 50 rows/ },
  },
  marketing: {
    claims: { sub: 'bob', roles: ['marketing'] },
    entities: {
      Customer: {
        fields: ['id', 'name', 'email', 'region', 'vip', 'created_at'],
        where: [...W, 'id', 'name', 'region', 'vip', 'created_at'],
        orderBy: ['id', 'name', 'region', 'vip', 'created_at'],
        // An aggregate right of its own: score is summable, never readable.
        aggregate: { fields: ['region', 'score', 'vip'], where: 'CustomerAggregateWhere', whereFields: [...W, 'region', 'score', 'vip'], sum: ['score'], minMax: ['region', 'score'] },
      },
    },
    hidden: ['balance', 'rep_id', 'Order', 'orders', 'OrderLine', 'Product', 'products', 'Rep', 'reps', 'rep', 'price', 'amount'],
    descriptions: { 'Customer.email': /Masked for your role on some rows: shown as a\*\*\*@domain/ },
  },
  auditor: {
    claims: { sub: 'dave', roles: ['auditor'] },
    entities: {
      Customer: {
        fields: [...ALL.Customer, 'orders'],
        where: [...W, 'id', 'region', 'score', 'vip', 'created_at', 'rep_id', 'orders'],
        orderBy: ['id', 'region', 'score', 'vip', 'created_at', 'rep_id'],
      },
      Order: { fields: [...ALL.Order, 'customer'], where: [...W, ...ALL.Order, 'customer'], orderBy: ALL.Order },
    },
    hidden: ['OrderLine', 'orderLines', 'lines', 'Product', 'product', 'product_id', 'price', 'qty', 'Rep', 'reps', 'rep', 'Aggregate'],
    descriptions: {
      'Customer.name': /Masked for your role: a keyed hash/,
      'Customer.email': /Masked for your role: replaced by \*\*\*/,
      'Customer.balance': /Null on rows where your role may not read it/,
    },
    rootDescriptions: { customers: /at most 25 rows/, orders: /at most 25 rows/, customersConnection: /at most 25 rows/ },
  },
  admin: { claims: { sub: 'root', roles: ['admin'] }, entities: admin, hidden: ['Masked', 'at most'] },
};

/**
 * Hand-written descriptions (the same for every role) that happen to use model words: a mask kind
 * named like a field, an attribute named like one. Removed before searching for hidden names.
 */
const ROLE_INDEPENDENT = ['hash, redact, null, email, last4 or year.', 'e.g. employeeId, region.'];

let setup: EngineSetup;
let gw: Gateway;
let url: string;
const headers: Record<string, Record<string, string>> = {};
const schemas: Record<string, { json: IntrospectionQuery; text: string }> = {};

beforeAll(async () => {
  setup = await setupEngine('sqlite');
  ({ gw, url } = await startGateway(setup.sources, { policies: POLICIES, extraConfig: TEST_IDENTITY, prepare: setup.prepare }));
  for (const [role, r] of Object.entries(ROLES)) {
    headers[role] = r.claims ? bearer(await mintToken(r.claims)) : {};
    const res = await postGraphQL(url, getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }), undefined, headers[role]);
    if (res.status !== 200 || res.body.errors) throw new Error(`introspection as ${role}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
    schemas[role] = { json: res.body.data, text: res.text };
  }
}, 60_000);
afterAll(async () => {
  await gw?.close();
  await setup?.cleanup();
});

const typeOf = (role: string, name: string): IntrospectionType | undefined => schemas[role].json.__schema.types.find((t) => t.name === name);
function objectType(role: string, name: string): IntrospectionObjectType {
  const t = typeOf(role, name);
  if (t?.kind !== 'OBJECT') throw new Error(`${name} is not an object type in the ${role} schema`);
  return t;
}
/** The named type inside list and non-null wrappers. */
function namedType(ref: { kind: string; name?: string; ofType?: unknown }): string | undefined {
  return ref.kind === 'LIST' || ref.kind === 'NON_NULL' ? namedType(ref.ofType as typeof ref) : (ref as IntrospectionNamedTypeRef).name;
}
function fieldNames(role: string, name: string): string[] | undefined {
  const t = typeOf(role, name);
  if (!t) return undefined;
  if (t.kind === 'OBJECT' || t.kind === 'INTERFACE') return t.fields.map((f) => f.name);
  if (t.kind === 'INPUT_OBJECT') return t.inputFields.map((f) => f.name);
  if (t.kind === 'ENUM') return t.enumValues.map((v) => v.name);
  return [];
}
const sorted = (xs: readonly string[] | undefined) => (xs ? [...xs].sort() : xs);

describe.each(Object.keys(ROLES))('the %s schema', (role) => {
  const exp = ROLES[role];

  test('lists exactly the root fields of its entities, plus the hand-written API', () => {
    const expected = [...HAND_WRITTEN];
    for (const [e, x] of Object.entries(exp.entities)) {
      const plural = ROOT[e as keyof typeof ROOT];
      if (x.read !== false) expected.push(plural, SINGULAR[e as keyof typeof SINGULAR], `${plural}Connection`);
      if (x.aggregate) expected.push(`${plural}Aggregate`);
    }
    expect(sorted(fieldNames(role, 'Query'))).toEqual(sorted(expected));
  });

  test('has the types of its entities and none of the others', () => {
    for (const e of Object.keys(ALL)) {
      const x = exp.entities[e];
      for (const suffix of ['', 'Where', 'OrderBy', 'Connection', 'Edge']) expect([`${e}${suffix}`, typeOf(role, `${e}${suffix}`) !== undefined]).toEqual([`${e}${suffix}`, x !== undefined]);
      for (const suffix of ['Aggregate', 'Field', 'Group', 'CountDistinct', 'AggregateWhere'])
        if (!x?.aggregate) expect([`${e}${suffix}`, typeOf(role, `${e}${suffix}`)]).toEqual([`${e}${suffix}`, undefined]);
    }
  });

  test.each(Object.keys(exp.entities))('%s: object fields, where fields, orderBy fields', (e) => {
    const x = exp.entities[e];
    expect(fieldNames(role, e)).toEqual(x.fields);
    expect(sorted(fieldNames(role, `${e}Where`))).toEqual(sorted(x.where));
    expect(sorted(fieldNames(role, `${e}OrderBy`))).toEqual(sorted(x.orderBy));
  });

  test.each(Object.keys(exp.entities))('%s: groupBy values and aggregate types', (e) => {
    const x = exp.entities[e];
    const plural = ROOT[e as keyof typeof ROOT];
    const root = objectType(role, 'Query').fields.find((f) => f.name === `${plural}Aggregate`);
    if (!x.aggregate) return expect(root).toBeUndefined();
    expect(root).toBeDefined();
    expect(sorted(fieldNames(role, `${e}Field`))).toEqual(sorted(x.aggregate.fields));
    // groupBy: [EField!]
    expect(namedType(root!.args.find((a) => a.name === 'groupBy')!.type)).toBe(`${e}Field`);
    expect(namedType(root!.args.find((a) => a.name === 'where')!.type)).toBe(x.aggregate.where);
    if (x.aggregate.whereFields) expect(sorted(fieldNames(role, x.aggregate.where))).toEqual(sorted(x.aggregate.whereFields));
    expect(sorted(fieldNames(role, `${e}Group`))).toEqual(sorted(x.aggregate.fields));
    expect(sorted(fieldNames(role, `${e}CountDistinct`))).toEqual(sorted(x.aggregate.fields));
    expect(sorted(fieldNames(role, `${e}Sum`))).toEqual(x.aggregate.sum!.length ? sorted(x.aggregate.sum) : undefined);
    expect(sorted(fieldNames(role, `${e}MinMax`))).toEqual(x.aggregate.minMax!.length ? sorted(x.aggregate.minMax) : undefined);
  });

  test('hidden names appear nowhere in its introspection (types, inputs, enums, descriptions)', () => {
    let text = schemas[role].text;
    for (const s of ROLE_INDEPENDENT) text = text.split(s).join('');
    const found = exp.hidden.filter((w) => new RegExp(`(?<![A-Za-z0-9_])${w}(?![A-Za-z0-9_])`).test(text));
    expect(found).toEqual([]);
  });

  test('masked and partly readable fields say so in their description', () => {
    const masked: string[] = [];
    for (const t of schemas[role].json.__schema.types)
      if (t.kind === 'OBJECT' && exp.entities[t.name]) for (const f of t.fields) if (/Masked for your role|Null on rows/.test(f.description ?? '')) masked.push(`${t.name}.${f.name}`);
    expect(masked.sort()).toEqual(Object.keys(exp.descriptions ?? {}).sort());
    for (const [path, re] of Object.entries(exp.descriptions ?? {})) {
      const [e, f] = path.split('.');
      expect(objectType(role, e).fields.find((x) => x.name === f)!.description).toMatch(re);
    }
    for (const [name, re] of Object.entries(exp.rootDescriptions ?? {})) {
      expect(objectType(role, 'Query').fields.find((x) => x.name === name)!.description).toMatch(re);
    }
  });
});

describe('validation errors do not suggest hidden names', () => {
  const cases: [string, string, string[]][] = [
    ['rep', '{ customers { scor } }', ['score']],
    ['rep', '{ customers { balanc vi } }', ['balance', 'vip']],
    ['rep', '{ customers(where: {scor: {gt: 1}}) { id } }', ['score']],
    ['rep', '{ customers(where: {emai: {eq: "x"}}) { id } }', ['email']],
    ['rep', '{ customers(orderBy: [{emai: ASC}]) { id } }', ['email']],
    ['rep', '{ customers(orderBy: [{scor: ASC}]) { id } }', ['score']],
    ['rep', '{ ordersAggregate(groupBy: [customer_i]) { count } }', ['customer_id']],
    ['rep', '{ ordersAggregate { sum { i } min { created_a } } }', ['id', 'created_at']],
    ['rep', '{ orderLines { produc { id } } }', ['product']],
    ['rep', '{ produc { id } }', ['product', 'products']],
    ['rep', '{ customers { re { id } } }', ['rep']],
    ['marketing', '{ customers(where: {emai: {eq: "x"}}) { id } }', ['email']],
    ['marketing', '{ customers { rep_i balanc } }', ['rep_id', 'balance']],
    ['marketing', '{ customers { order { id } } }', ['orders']],
    ['marketing', '{ customers(where: {scor: {gt: 1}}) { id } }', ['score']],
    ['auditor', '{ customers(where: {nam: {eq: "x"}}) { id } }', ['name']],
    ['auditor', '{ customers(orderBy: [{balanc: ASC}]) { id } }', ['balance']],
    ['anonymous', '{ product { pric } }', ['price']],
    ['anonymous', '{ customer { id } }', ['customer', 'customers']],
    ['anonymous', '{ products(where: {pric: {gt: 1}}) { id } }', ['price']],
  ];
  test.each(cases)('as %s: %s', async (role, query, names) => {
    const r = await postGraphQL(url, query, undefined, headers[role]);
    expect(r.status).toBe(400);
    expect(r.body.errors!.length).toBeGreaterThan(0);
    for (const e of r.body.errors!) {
      expect(e.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      const suggestion = /Did you mean (.*)\?/.exec(e.message)?.[1] ?? '';
      for (const n of names) expect([e.message, new RegExp(`"${n}"`).test(suggestion)]).toEqual([e.message, false]);
    }
  });

  test('the same typos do suggest the names a role may use (so the checks above are not vacuous)', async () => {
    const r = await postGraphQL(url, '{ customers { scor balanc } }', undefined, headers.admin);
    expect(r.body.errors!.map((e) => e.message).join('\n')).toMatch(/Did you mean "score"\?[\s\S]*Did you mean "balance"\?/);
    const m = await postGraphQL(url, '{ customers { emai } }', undefined, headers.marketing);
    expect(m.body.errors![0].message).toMatch(/Did you mean "email"\?/);
  });
});
