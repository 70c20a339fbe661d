import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseYaml } from '../../src/config';
import { ConfigError, ErrorCode, type ConfigProblem } from '../../src/errors';
import { buildModel } from '../../src/model';
import { buildPolicies, loadPolicies, type PolicySet } from '../../src/policy';
import { createGateway } from '../../src/server';

/**
 * Broken policy files stop start-up with every problem at once, each naming its file, line and
 * rule (path), under the BAD_POLICY code.
 */
const MODEL = `
Customer:
  source: crm
  table: customers
  key: id
  fields:
    id: { type: Int }
    name: { type: String, nullable: false }
    email: { type: String }
    score: { type: Int }
    region: { type: String }
    born: { type: Date }
    meta: { type: JSON }
  relationships:
    orders: { entity: Order, many: true, on: { id: customer_id } }
Order:
  source: crm
  table: orders
  key: id
  fields:
    id: { type: Int }
    customer_id: { type: Int, nullable: false }
    status: { type: String, nullable: false }
`;
const registry = buildModel([parseYaml('schema/crm.yaml', MODEL)], ['crm']);
const OPTIONS = { attributes: ['employeeId', 'region'], anonymousRole: 'anonymous' };

const build = (files: Record<string, string>): PolicySet =>
  buildPolicies(
    Object.entries(files).map(([f, text]) => parseYaml(f, text)),
    registry,
    OPTIONS,
  );

/** The problems a set of files is refused with; fails if it is not refused as BAD_POLICY. */
function problemsOf(files: Record<string, string>): ConfigProblem[] {
  let error: unknown;
  try {
    build(files);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const ce = error as ConfigError;
  expect(ce.code).toBe(ErrorCode.BAD_POLICY);
  expect(ce.code).toBe('BAD_POLICY');
  // The message lists every problem as `file:line at path: message`.
  for (const p of ce.problems) expect(ce.message).toContain(`${p.file}${p.line ? `:${p.line}` : ''} at ${p.path || '(root)'}: ${p.message}`);
  expect(ce.message).toMatch(new RegExp(`^${ce.problems.length} problems? in the deployment files`));
  return ce.problems;
}

/** Exactly one problem, at this file, line and path, with a message matching `message`. */
function oneProblem(files: Record<string, string>, at: { file: string; line: number; path: string }, message: RegExp) {
  const problems = problemsOf(files);
  expect(problems).toHaveLength(1);
  expect(problems[0]).toMatchObject(at);
  expect(problems[0].message).toMatch(message);
}

const VALID = `role: valid
rules:
  - action: read
    subject: Customer
`;

describe('each kind of problem names file, line and rule', () => {
  test('unknown entity', () => {
    oneProblem(
      {
        'policies/a.yaml': `role: a
rules:
  - action: read
    subject: Custmer
`,
      },
      { file: 'policies/a.yaml', line: 4, path: 'rules[0].subject' },
      /unknown entity "Custmer"; the model has Customer, Order/,
    );
  });

  test('unknown field in `fields`', () => {
    oneProblem(
      {
        'policies/a.yaml': `role: a
rules:
  - action: read
    subject: Customer
  - action: read
    subject: Customer
    fields: [id, nmae]
`,
      },
      { file: 'policies/a.yaml', line: 7, path: 'rules[1].fields' },
      /Customer has no field "nmae"/,
    );
  });

  test('unknown field in conditions', () => {
    oneProblem(
      {
        'policies/a.yaml': `role: a
rules:
  - action: read
    subject: Customer
    conditions:
      regoin: EU
`,
      },
      { file: 'policies/a.yaml', line: 5, path: 'rules[0].conditions' },
      /Customer has no field or relationship "regoin"/,
    );
  });

  test('unknown relationship in a dotted path', () => {
    oneProblem(
      {
        'policies/a.yaml': `role: a
rules:
  - action: read
    subject: Customer
    conditions: { "rep.region": EU }
`,
      },
      { file: 'policies/a.yaml', line: 5, path: 'rules[0].conditions' },
      /Customer has no field or relationship "rep"/,
    );
  });

  test('unknown field behind a relationship', () => {
    oneProblem(
      {
        'policies/a.yaml': `role: a
rules:
  - action: read
    subject: Customer
    conditions: { orders: { $elemMatch: { state: paid } } }
`,
      },
      { file: 'policies/a.yaml', line: 5, path: 'rules[0].conditions' },
      /Order has no field or relationship "state"/,
    );
  });

  test.each([
    ['$regex', `{ name: { $regex: "^A" } }`],
    ['$where', `{ $where: "true" }`],
    ['$or', `{ $or: [{ region: EU }, { region: NA }] }`],
    ['$size', `{ score: { $size: 2 } }`],
    ['$all', `{ score: { $all: [1] } }`],
    ['$not', `{ score: { $not: { $eq: 1 } } }`],
    ['$mod', `{ score: { $mod: [2, 0] } }`],
  ])('unsupported operator %s', (op, conditions) => {
    const problems = problemsOf({
      'policies/a.yaml': `role: a
rules:
  - action: read
    subject: Customer
    conditions: ${conditions}
`,
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: 'policies/a.yaml', line: 5, path: 'rules[0].conditions' });
    expect(problems[0].message).toContain(op);
  });

  // CASL's parser takes `$options` (the companion of $regex) as no condition at all: `{ region: { $options: i } }`
  // becomes an empty AND, i.e. a `can` on every row. It must be refused like any other operator.
  test('unsupported operator $options (CASL parses it to no condition at all: the rule must not become unconditional)', () => {
    const files = {
      'policies/a.yaml': `role: a
rules:
  - action: read
    subject: Customer
    conditions: { region: { $options: i } }
`,
    };
    const problems = problemsOf(files);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: 'policies/a.yaml', line: 5, path: 'rules[0].conditions' });
    expect(problems[0].message).toContain('$options');
  });

  test('placeholder for an attribute the claims mapping does not provide', () => {
    oneProblem(
      {
        'policies/a.yaml': `role: a
rules:
  - action: read
    subject: Customer
    conditions: { region: "\${user.department}" }
`,
      },
      { file: 'policies/a.yaml', line: 5, path: 'rules[0].conditions' },
      /\$\{user\.department\} is not provided: .*\$\{user\.id\}, \$\{user\.roles\}, \$\{user\.employeeId\}, \$\{user\.region\}/,
    );
  });

  test('placeholder with a path the lookup never fills (user.region.x)', () => {
    oneProblem(
      {
        'policies/a.yaml': `role: a
rules:
  - action: read
    subject: Customer
    conditions: { region: "\${user.region.x}" }
`,
      },
      { file: 'policies/a.yaml', line: 5, path: 'rules[0].conditions' },
      /user\.region\.x/,
    );
  });

  test('inverted rule without reason', () => {
    oneProblem(
      {
        'policies/a.yaml': `role: a
rules:
  - action: read
    subject: Customer
  - action: read
    subject: Customer
    inverted: true
    conditions: { region: EU }
`,
      },
      { file: 'policies/a.yaml', line: 5, path: 'rules[1].reason' },
      /inverted \(cannot\) rule needs a `reason`/,
    );
  });

  test('mask that does not fit the type (email on an Int)', () => {
    oneProblem(
      {
        'policies/a.yaml': `${VALID.replace('valid', 'a')}masks:
  Customer.score: email
`,
      },
      { file: 'policies/a.yaml', line: 6, path: 'masks.Customer.score' },
      /mask email does not fit a Int field; it fits String/,
    );
  });

  test.each([
    ['year on a String', 'Customer.name', 'year', /mask year does not fit a String field; it fits Date, DateTime/],
    ['hash on a Date', 'Customer.born', 'hash', /mask hash does not fit a Date field/],
    ['last4 on an Int', 'Customer.score', 'last4', /mask last4 does not fit a Int field/],
    ['null on the key', 'Customer.id', '"null"', /the key Customer\.id cannot be masked with null/],
  ])('mask misfit: %s', (_name, key, mask, message) => {
    oneProblem({ 'policies/a.yaml': `${VALID.replace('valid', 'a')}masks:\n  ${key}: ${mask}\n` }, { file: 'policies/a.yaml', line: 6, path: `masks.${key}` }, message);
  });

  test('an unquoted null (YAML null) is the null mask', () => {
    const set = build({ 'policies/a.yaml': `${VALID.replace('valid', 'a')}masks:\n  Customer.email: null\n` });
    expect(set.roles.get('a')!.masks.get('Customer')!.get('email')!.kind).toBe('null');
  });

  test('mask on an unknown field', () => {
    oneProblem(
      {
        'policies/a.yaml': `${VALID.replace('valid', 'a')}masks:
  Customer.phone: last4
`,
      },
      { file: 'policies/a.yaml', line: 6, path: 'masks.Customer.phone' },
      /Customer has no field "phone"/,
    );
  });

  test('mask on an unknown entity', () => {
    oneProblem({ 'policies/a.yaml': `${VALID.replace('valid', 'a')}masks:\n  Client.email: email\n` }, { file: 'policies/a.yaml', line: 6, path: 'masks.Client.email' }, /unknown entity "Client"/);
  });

  test('a mask `unless` with an unknown field', () => {
    oneProblem(
      { 'policies/a.yaml': `${VALID.replace('valid', 'a')}masks:\n  Customer.email: { mask: email, unless: { segmnt: x } }\n` },
      { file: 'policies/a.yaml', line: 6, path: 'masks.Customer.email.unless' },
      /Customer has no field or relationship "segmnt"/,
    );
  });

  test('`extends` an unknown role', () => {
    oneProblem(
      {
        'policies/a.yaml': `role: a
extends: [valid, ghost]
rules: []
`,
        'policies/valid.yaml': VALID,
      },
      { file: 'policies/a.yaml', line: 2, path: 'extends[1]' },
      /unknown role "ghost"; known: a, valid/,
    );
  });

  test('an `extends` cycle', () => {
    const problems = problemsOf({
      'policies/a.yaml': 'role: a\nextends: b\n',
      'policies/b.yaml': 'role: b\nextends: c\n',
      'policies/c.yaml': 'role: c\nextends: a\n',
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 2, path: 'extends' });
    expect(problems[0].message).toMatch(/extends forms a cycle: (a → b → c → a|b → c → a → b|c → a → b → c)/);
  });

  test('a role extending itself', () => {
    const problems = problemsOf({ 'policies/a.yaml': 'role: a\nextends: a\n' });
    expect(problems).toEqual([expect.objectContaining({ file: 'policies/a.yaml', line: 2, path: 'extends', message: 'extends forms a cycle: a → a' })]);
  });

  test('two files with the same role', () => {
    oneProblem(
      { 'policies/a.yaml': VALID, 'policies/b.yaml': `# the same role again\n${VALID}` },
      { file: 'policies/b.yaml', line: 2, path: 'role' },
      /role valid is already declared in policies\/a\.yaml/,
    );
  });

  // yaml's `linePos` is only filled with `prettyErrors: true`; the line must come from the error's offset.
  test('YAML syntax error', () => {
    const problems = problemsOf({
      'policies/a.yaml': `role: a
rules:
  - action: read
    subject: [Customer
`,
    });
    expect(problems.length).toBeGreaterThanOrEqual(1);
    expect(problems[0].file).toBe('policies/a.yaml');
    expect(problems[0].line).toBeGreaterThanOrEqual(4);
    expect(problems[0].message).toMatch(/^YAML syntax error: /);
  });

  test('YAML duplicate key', () => {
    const problems = problemsOf({ 'policies/a.yaml': 'role: a\nrole: b\n' });
    expect(problems[0]).toMatchObject({ file: 'policies/a.yaml', line: 2 });
    expect(problems[0].message).toMatch(/YAML syntax error: .*unique/i);
  });

  test('a rule on `all` with conditions', () => {
    oneProblem(
      {
        'policies/a.yaml': `role: a
rules:
  - action: read
    subject: all
    conditions: { id: 1 }
`,
      },
      { file: 'policies/a.yaml', line: 3, path: 'rules[0]' },
      /a rule on `all` cannot have fields or conditions/,
    );
  });

  test('a rule on `all` with fields, and `all` among other subjects', () => {
    const problems = problemsOf({
      'policies/a.yaml': `role: a
rules:
  - action: read
    subject: all
    fields: [id]
  - action: read
    subject: [all, Customer]
`,
    });
    expect(problems).toEqual([
      expect.objectContaining({ line: 3, path: 'rules[0]', message: expect.stringMatching(/cannot have fields or conditions/) }),
      expect.objectContaining({ line: 7, path: 'rules[1].subject', message: expect.stringMatching(/`all` stands alone/) }),
    ]);
  });

  test('wrong literal type ({ score: "abc" } on an Int)', () => {
    oneProblem(
      {
        'policies/a.yaml': `role: a
rules:
  - action: read
    subject: Customer
    conditions: { score: abc }
`,
      },
      { file: 'policies/a.yaml', line: 5, path: 'rules[0].conditions' },
      /"abc" is not a Int value \(field score\)/,
    );
  });

  test.each([
    ['a Date field', `{ born: "2026-13" }`, /"2026-13" is not a Date value/],
    ['a Boolean as text', `{ name: true }`, /true is not a String value/],
    ['an Int list', `{ score: { $in: [1, two] } }`, /"two" is not a Int value/],
    ['a JSON field', `{ meta: 1 }`, /Customer\.meta is JSON/],
  ])('wrong literal: %s', (_name, conditions, message) => {
    oneProblem(
      { 'policies/a.yaml': `role: a\nrules:\n  - action: read\n    subject: Customer\n    conditions: ${conditions}\n` },
      { file: 'policies/a.yaml', line: 5, path: 'rules[0].conditions' },
      message,
    );
  });

  test.each([
    // The path is the object holding the unknown key (here the root), the line the key's own.
    ['an unknown key', 'role: a\nrule: []\n', 2, '', /unknown key "rule"/],
    ['an unknown action', 'role: a\nrules:\n  - action: write\n    subject: Customer\n', 3, 'rules[0].action', /"write"/],
    ['a bad role name', 'role: "a b"\n', 1, 'role', /role names are letters, digits, _ and -/],
    ['maxRows below 1', `${VALID.replace('valid', 'a')}limits:\n  maxRows: 0\n`, 6, 'limits.maxRows', /1/],
  ])('schema: %s', (_name, text, line, at, message) => {
    oneProblem({ 'policies/a.yaml': text }, { file: 'policies/a.yaml', line, path: at }, message);
  });

  test('maxRows for an unknown entity', () => {
    oneProblem({ 'policies/a.yaml': `${VALID.replace('valid', 'a')}limits:\n  maxRows: { Client: 5, "*": 10 }\n` }, { file: 'policies/a.yaml', line: 6, path: 'limits.maxRows.Client' }, /unknown entity "Client"/);
  });
});

describe('every problem at once', () => {
  test('several problems in one file are all listed, in file order, each with its line and rule', () => {
    const problems = problemsOf({
      'policies/a.yaml': `role: a
rules:
  - action: read
    subject: Custmer
  - action: read
    subject: Customer
    fields: [id, nmae]
  - action: read
    subject: Customer
    conditions: { score: abc, regoin: EU }
  - action: read
    subject: Customer
    conditions: { region: "\${user.department}" }
masks:
  Customer.score: email
  Customer.phone: last4
`,
    });
    expect(problems.map((p) => [p.line, p.path])).toEqual([
      [4, 'rules[0].subject'],
      [7, 'rules[1].fields'],
      [10, 'rules[2].conditions'],
      [13, 'rules[3].conditions'],
      [15, 'masks.Customer.score'],
      [16, 'masks.Customer.phone'],
    ]);
    expect(problems.every((p) => p.file === 'policies/a.yaml')).toBe(true);
  });

  test('problems of several files are all listed (syntax, schema and model problems together)', () => {
    const problems = problemsOf({
      'policies/a.yaml': 'role: a\nrules: [\n',
      'policies/b.yaml': 'role: b\nrules:\n  - action: read\n    subject: Customer\n    inverted: true\n',
      'policies/c.yaml': 'role: c\nextends: ghost\nrules:\n  - action: read\n    subject: Client\n',
    });
    expect(problems.map((p) => p.file)).toEqual(expect.arrayContaining(['policies/a.yaml', 'policies/b.yaml', 'policies/c.yaml']));
    expect(problems.find((p) => p.file === 'policies/b.yaml')).toMatchObject({ path: 'rules[0].reason', line: 3 });
    expect(problems.filter((p) => p.file === 'policies/c.yaml').map((p) => p.path)).toEqual(['rules[0].subject', 'extends[0]']);
  });

  test('an `extends` cycle is reported together with the other problems', () => {
    const problems = problemsOf({
      'policies/a.yaml': 'role: a\nextends: b\n',
      'policies/b.yaml': 'role: b\nextends: a\n',
      'policies/c.yaml': 'role: c\nrules:\n  - action: read\n    subject: Client\n',
    });
    expect(problems.map((p) => p.file).sort()).toEqual(expect.arrayContaining(['policies/c.yaml']));
    expect(problems.some((p) => /extends forms a cycle/.test(p.message))).toBe(true);
  });
});

describe('valid files load', () => {
  test('a file with every operator, placeholders, masks and limits loads', () => {
    const set = build({
      'policies/valid.yaml': VALID,
      'policies/rich.yaml': `role: rich
extends: valid
rules:
  - action: [read, aggregate]
    subject: [Customer, Order]
  - action: read
    subject: Customer
    conditions:
      score: { $gte: 1, $lt: 100 }
      region: { $in: [EU, null], $ne: NA }
      email: { $exists: true }
      name: { $nin: [x] }
      born: { $lte: "2026-01-01" }
      orders: { $elemMatch: { status: paid } }
  - action: read
    subject: Customer
    fields: [email]
    inverted: true
    conditions: { id: "\${user.employeeId}", region: "\${user.region}", "orders.status": { $eq: "\${user.id}" } }
    reason: test
masks:
  Customer.email: { mask: email, unless: { region: "\${user.region}" } }
  Customer.born: year
limits:
  maxRows: { Customer: 10, "*": 100 }
`,
    });
    const rich = set.roles.get('rich')!;
    expect(rich.rules).toHaveLength(4);
    expect(rich.rules[0].origin.role).toBe('valid');
    expect(rich.rules[3].origin).toEqual({ role: 'rich', file: 'policies/rich.yaml', line: 15, path: 'rules[2]' });
    expect(rich.masks.get('Customer')!.get('born')!.kind).toBe('year');
    expect(rich.maxRows.get('Customer')).toBe(10);
    expect(set.anonymousRole).toBe('anonymous');
  });

  test('a whole-list placeholder in $in loads (`${user.roles}` is a list; docs: "a whole-value placeholder keeps the claim\'s type")', () => {
    expect(() =>
      build({
        'policies/a.yaml': `role: a
rules:
  - action: read
    subject: Order
    conditions: { status: { $in: "\${user.roles}" } }
`,
      }),
    ).not.toThrow();
  });
});

describe('loadPolicies reads a folder', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'datagate-policies-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('a missing policies folder stops start-up', () => {
    const missing = path.join(dir, 'nope');
    let error: unknown;
    try {
      loadPolicies(missing, registry, OPTIONS);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('BAD_POLICY');
    expect((error as ConfigError).problems).toEqual([expect.objectContaining({ file: missing, message: expect.stringMatching(/policies folder not found/) })]);
  });

  test('problems name the file by its path; non-YAML files are ignored', () => {
    writeFileSync(path.join(dir, 'a.yaml'), VALID);
    writeFileSync(path.join(dir, 'b.yml'), 'role: b\nrules:\n  - action: read\n    subject: Client\n');
    writeFileSync(path.join(dir, 'README.md'), 'role: [not yaml for us');
    let error: unknown;
    try {
      loadPolicies(dir, registry, OPTIONS);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([expect.objectContaining({ file: path.join(dir, 'b.yml'), line: 4, path: 'rules[0].subject' })]);
  });

  test('an empty folder loads with no roles (nothing is readable)', () => {
    expect(loadPolicies(dir, registry, OPTIONS).roles.size).toBe(0);
  });
});

describe('createGateway with a broken policy file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'datagate-broken-'));
    mkdirSync(path.join(dir, 'schema'));
    mkdirSync(path.join(dir, 'policies'));
    writeFileSync(path.join(dir, 'schema', 'crm.yaml'), MODEL);
    writeFileSync(path.join(dir, 'datagate.yaml'), 'sources:\n  crm:\n    dialect: sqlite\n');
    writeFileSync(path.join(dir, 'policies', 'anonymous.yaml'), 'role: anonymous\nrules:\n  - { action: read, subject: Customer }\n');
    writeFileSync(
      path.join(dir, 'policies', 'broken.yaml'),
      `role: broken
rules:
  - action: read
    subject: Customer
    conditions: { score: { $regex: "1" } }
`,
    );
  });
  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  test('rejects with the BAD_POLICY error naming file, line and rule, and opens no server', async () => {
    const createServer = jest.spyOn(http, 'createServer');
    const logs: Record<string, unknown>[] = [];
    let error: unknown;
    try {
      const gw = await createGateway({ configFile: path.join(dir, 'datagate.yaml'), env: {}, log: (r) => logs.push(r) });
      await gw.close();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const ce = error as ConfigError;
    expect(ce.code).toBe('BAD_POLICY');
    const file = path.join(dir, 'policies', 'broken.yaml');
    expect(ce.problems).toEqual([expect.objectContaining({ file, line: 5, path: 'rules[0].conditions', message: expect.stringContaining('$regex') })]);
    expect(ce.message).toContain(`${file}:5 at rules[0].conditions`);
    expect(createServer).not.toHaveBeenCalled();
  });

  test('the same deployment starts once the file is fixed (the test above fails for the right reason)', async () => {
    writeFileSync(path.join(dir, 'policies', 'broken.yaml'), 'role: broken\nrules:\n  - { action: read, subject: Customer, conditions: { score: { $gt: 1 } } }\n');
    const gw = await createGateway({ configFile: path.join(dir, 'datagate.yaml'), env: {}, log: () => {} });
    try {
      expect(gw.server.listening).toBe(false);
      const schema = await gw.schemaFor(['broken']);
      expect(schema.getQueryType()?.getFields().customers).toBeDefined();
    } finally {
      await gw.close();
    }
  });
});
