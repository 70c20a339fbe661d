import type { Knex } from 'knex';
import type { Gateway } from '../../src/server';
import { createMysqlDatabase, createPgDatabase, knexFor, type TestDatabase } from '../support/databases';
import { ADMIN_POLICY, startGateway, TEST_IDENTITY } from '../support/fixture';
import { postGraphQL } from '../support/gql';
import { bearer, mintToken } from '../support/tokens';

/**
 * Relationships read inside their parents' statement (graph/nesting.ts; PostgreSQL, and MariaDB
 * through JSON_ARRAYAGG): on each engine, the same database behind two gateways, one folding same-source relationships into one statement (the
 * default), one with `nestedRows: false` (a statement per level, as before). Every answer, error and
 * mask must be the same, byte for byte, for an administrator and for two restricted roles; only the
 * number of statements differs. The data holds the values JSON could change on the way: integers
 * beyond 2^53, decimals with their scale, microsecond timestamps, dates, JSON text that looks like a
 * number, UUIDs, nulls, quotes and non-ASCII text.
 */

const MODEL = {
  'org.yaml': `
Team:
  source: org
  table: teams
  key: id
  fields:
    id: { type: Int }
    code: { type: ID, nullable: false }
    name: { type: String, nullable: false }
    budget: { type: Decimal, scale: 4 }
    big: { type: BigInt }
    score: { type: Float }
    active: { type: Boolean, nullable: false }
    founded: { type: Date }
    meta: { type: JSON }
    created: { type: DateTime, nullable: false }
  relationships:
    members: { entity: Member, many: true, on: { id: team_id } }
Member:
  source: org
  table: members
  key: id
  fields:
    id: { type: Int }
    team_id: { type: Int }
    name: { type: String, nullable: false }
    email: { type: String }
    salary: { type: Decimal, scale: 2 }
    joined: { type: DateTime, nullable: false }
    birthday: { type: Date }
    tags: { type: JSON }
    rating: { type: Float }
    admin: { type: Boolean, nullable: false }
    note: { type: String }
  relationships:
    team: { entity: Team, on: { team_id: id } }
    tasks: { entity: Task, many: true, on: { id: member_id } }
Task:
  source: org
  table: tasks
  key: id
  fields:
    id: { type: Int }
    member_id: { type: Int, nullable: false }
    title: { type: String, nullable: false }
    done: { type: Boolean, nullable: false }
    due: { type: DateTime }
  relationships:
    member: { entity: Member, on: { member_id: id } }
`,
};

const POLICIES: Record<string, string> = {
  ...ADMIN_POLICY,
  // Active teams, their members (proven by the parents when read through an active team), open tasks;
  // salaries and names in clear on admins' rows only (per-row flags), emails always masked.
  'lead.yaml': `
role: lead
rules:
  - { action: read, subject: Team, conditions: { active: true } }
  - { action: read, subject: Member, conditions: { "team.active": true } }
  - { action: read, subject: Task, conditions: { done: false } }
masks:
  Member.email: email
  Member.name: { mask: redact, unless: { admin: true } }
  Member.salary: { mask: "null", unless: { admin: true } }
`,
  // Every team; the members of active teams, and of any team the admins' names: the parents prove
  // nothing, so the EXISTS stays, in the row condition and in the per-row flag of every other field.
  'auditor.yaml': `
role: auditor
rules:
  - { action: read, subject: Team }
  - { action: read, subject: Member, conditions: { "team.active": true } }
  - { action: read, subject: Member, fields: [id, team_id, name, admin], conditions: { admin: true } }
  - { action: read, subject: Task }
`,
};

type Engine = 'postgres' | 'mariadb';

async function createOrg(k: Knex, engine: Engine): Promise<void> {
  // MariaDB: DATETIME (a TIMESTAMP cannot hold 1970-01-01 00:00:00 UTC), which takes its text without T and Z.
  const stamp = (t: Knex.CreateTableBuilder, name: string, precision: number) =>
    engine === 'postgres' ? t.timestamp(name, { useTz: true, precision }) : t.datetime(name, { precision });
  const at = (iso: string | null) => (iso === null || engine === 'postgres' ? iso : iso.replace('T', ' ').replace('Z', ''));
  await k.schema.createTable('teams', (t) => {
    t.integer('id').primary();
    t.uuid('code').notNullable();
    t.text('name').notNullable();
    t.decimal('budget', 18, 4);
    t.bigInteger('big');
    t.double('score');
    t.boolean('active').notNullable();
    t.date('founded');
    t.jsonb('meta');
    stamp(t, 'created', 6).notNullable();
  });
  await k.schema.createTable('members', (t) => {
    t.integer('id').primary();
    t.integer('team_id').references('teams.id');
    t.text('name').notNullable();
    t.text('email');
    t.decimal('salary', 12, 2);
    stamp(t, 'joined', 6).notNullable();
    t.date('birthday');
    t.json('tags');
    t.float('rating', 4);
    t.boolean('admin').notNullable();
    t.text('note');
  });
  await k.schema.createTable('tasks', (t) => {
    t.integer('id').primary();
    t.integer('member_id').notNullable().references('members.id');
    t.text('title').notNullable();
    t.boolean('done').notNullable();
    stamp(t, 'due', 3);
  });
  await k('teams').insert([
    { id: 1, code: '6f1c2d3e-0000-4000-8000-000000000001', name: 'Platform', budget: '12345678901234.5678', big: '9007199254740993', score: 0.1, active: true, founded: '1999-12-31', meta: JSON.stringify({ a: [1, 'x'], n: null }), created: at('2026-01-02T03:04:05.123456Z') },
    { id: 2, code: '6f1c2d3e-0000-4000-8000-000000000002', name: 'Data "Lake" ÆØÅ 数据', budget: '-0.0001', big: '-9223372036854775808', score: -1.5e-10, active: true, founded: null, meta: JSON.stringify('123'), created: at('1970-01-01T00:00:00Z') },
    { id: 3, code: '6f1c2d3e-0000-4000-8000-000000000003', name: 'Legacy', budget: null, big: null, score: null, active: false, founded: '2001-02-03', meta: null, created: at('2030-06-30T23:59:59.999999Z') },
    { id: 4, code: '6f1c2d3e-0000-4000-8000-000000000004', name: 'Empty', budget: '0', big: '0', score: 3, active: true, founded: '2020-02-29', meta: JSON.stringify([]), created: at('2020-02-29T12:00:00.5Z') },
  ]);
  const members = [];
  for (let id = 1; id <= 12; id++) {
    members.push({
      id,
      team_id: id === 12 ? null : ((id - 1) % 3) + 1,
      name: id % 4 === 0 ? `O'Brien ${id}` : `Member ${id} ✓`,
      email: id % 5 === 0 ? null : `m${id}@example.com`,
      salary: id % 6 === 0 ? null : `${1000 * id}.${String(id).padStart(2, '0')}`,
      joined: at(`2025-0${(id % 9) + 1}-1${id % 10}T0${id % 10}:00:00.${String(100000 + id * 7919).slice(0, 6)}Z`),
      birthday: id % 3 === 0 ? null : `19${70 + id}-0${(id % 9) + 1}-2${id % 9}`,
      tags: id % 4 === 1 ? null : JSON.stringify(id % 2 ? ['x', id] : { k: String(id), deep: { v: [true, null] } }),
      rating: id % 7 === 0 ? null : id / 8,
      admin: id % 3 !== 2,
      note: id % 2 ? null : 'tab\there, newline\nthere, backslash \\ and "quotes"',
    });
  }
  await k('members').insert(members);
  const tasks = [];
  for (let id = 1; id <= 40; id++)
    tasks.push({ id, member_id: ((id * 5) % 11) + 1, title: `Task ${id}`, done: id % 3 === 0, due: id % 8 === 0 ? null : at(`2026-0${(id % 9) + 1}-0${(id % 9) + 1}T12:34:56.${String(id).padStart(3, '0')}Z`) });
  await k('tasks').insert(tasks);
}

/** The answer without lineage (which says how the rows were read, and so differs), as text. */
const answer = (body: Record<string, unknown>) => JSON.stringify({ data: body.data, errors: body.errors });

const DEEP = `{
  teams(orderBy: [{id: ASC}]) {
    id code name budget big score active founded meta created
    members(orderBy: [{id: DESC}], limit: 3) {
      id name email salary joined birthday tags rating admin note
      team { id name active }
      tasks(orderBy: [{due: ASC}, {id: ASC}]) { id title done due member { id name } }
    }
  }
}`;

describe.each<Engine>(['postgres', 'mariadb'])('on %s', (engine) => {
  let db: TestDatabase;
  let folded: { gw: Gateway; url: string };
  let separate: { gw: Gateway; url: string };
  const tokens: Record<string, string> = {};
  /** Statements each gateway sent to the source, by gateway. */
  const sent = new Map<Gateway, number>();

  beforeAll(async () => {
    db = engine === 'postgres' ? await createPgDatabase('nested') : await createMysqlDatabase('nested');
    const k = knexFor(db.url);
    try {
      await createOrg(k, engine);
    } finally {
      await k.destroy();
    }
    // One cursor key for both gateways: a page's cursor from one is the other's too.
    const files = { model: MODEL, policies: POLICIES, extraConfig: `${TEST_IDENTITY}\nserver: { cursorSecret: nested-rows-test-cursor-secret-0123456789 }` };
    const dialect = engine === 'postgres' ? 'postgres' : 'mysql';
    // MariaDB folds only when asked (src/sources/mysql/dialect.ts); PostgreSQL by default.
    folded = await startGateway({ org: { dialect, url: db.url, ...(engine === 'mariadb' ? { options: { nestedRows: 'true' } } : {}) } }, files);
    separate = await startGateway({ org: { dialect, url: db.url, options: { nestedRows: 'false' } } }, files);
    for (const g of [folded.gw, separate.gw]) {
      sent.set(g, 0);
      g.runtime.sources.get('org')!.knex.on('query', () => sent.set(g, sent.get(g)! + 1));
    }
    for (const role of ['admin', 'lead', 'auditor']) tokens[role] = await mintToken({ sub: role, roles: [role] });
  }, 60_000);

  afterAll(async () => {
    await folded?.gw.close();
    await separate?.gw.close();
    await db?.drop();
  });

  /** The query through both gateways as `role`: the two answers (whole bodies) and the statements each sent. */
  async function both(role: string, query: string, variables?: Record<string, unknown>) {
    const ask = async (g: { gw: Gateway; url: string }) => {
      const before = sent.get(g.gw)!;
      const r = await postGraphQL(g.url, query, variables, bearer(tokens[role]));
      expect(r.status).toBe(200);
      return { body: r.body, statements: sent.get(g.gw)! - before };
    };
    const a = await ask(folded);
    const b = await ask(separate);
    return { a, b };
  }

  describe.each(['admin', 'lead', 'auditor'])('as %s', (role) => {
    test('three levels, to-many and to-one, every field type: the same answer from one statement', async () => {
      const { a, b } = await both(role, DEEP);
      expect(a.body.errors).toBeUndefined();
      expect(answer(a.body)).toBe(answer(b.body));
      // teams, members, members.team, members.tasks, members.tasks.member: five statements without folding.
      expect(b.statements).toBe(5);
      expect(a.statements).toBe(1);
      expect(a.body.data.teams.length).toBeGreaterThan(0);
    });

    test('aliases with their own arguments, offsets, variables, fragments and @skip', async () => {
      const q = `query Q($n: Int, $skip: Boolean!, $status: Boolean) {
        teams(orderBy: [{name: DESC}]) {
          ...T
          first: members(limit: 1, orderBy: [{id: ASC}]) { id }
          rest: members(offset: 1, limit: $n, orderBy: [{id: DESC}]) { id salary tasks(where: {done: {eq: $status}}) @skip(if: $skip) { id done } }
        }
      }
      fragment T on Team { id members(where: {admin: {eq: true}}, orderBy: [{id: ASC}]) { id admin } }`;
      for (const variables of [
        { n: 2, skip: false, status: false },
        { n: 5, skip: true, status: true },
      ]) {
        const { a, b } = await both(role, q, variables);
        expect(a.body.errors).toBeUndefined();
        expect(answer(a.body)).toBe(answer(b.body));
        expect(a.statements).toBe(1);
      }
    });

    test('by key, and relationships filtered through a relationship of their own', async () => {
      const q = `{
        team(id: 2) { id members(where: {tasks: {done: {eq: false}}}, orderBy: [{id: ASC}]) { id tasks(orderBy: [{id: ASC}]) { id } } }
        member(id: 4) { id team { id members(orderBy: [{id: ASC}]) { id } } }
        nobody: member(id: 12) { id team { id } }
      }`;
      const { a, b } = await both(role, q);
      expect(a.body.errors).toBeUndefined();
      expect(answer(a.body)).toBe(answer(b.body));
      // Three roots, each its own statement.
      expect(a.statements).toBe(3);
    });
  });

  test('values JSON could bend come through exact (admin)', async () => {
    const { a } = await both('admin', '{ teams(orderBy: [{id: ASC}]) { id members(orderBy: [{id: ASC}], limit: 1) { id team { id budget big score founded meta created code } } } }');
    const t = (i: number) => a.body.data.teams[i].members[0]?.team;
    expect(t(0)).toEqual({ id: 1, budget: '12345678901234.5678', big: '9007199254740993', score: 0.1, founded: '1999-12-31', meta: { a: [1, 'x'], n: null }, created: '2026-01-02T03:04:05.123456Z', code: '6f1c2d3e-0000-4000-8000-000000000001' });
    expect(t(1)).toEqual({ id: 2, budget: '-0.0001', big: '-9223372036854775808', score: -1.5e-10, founded: null, meta: '123', created: engine === 'postgres' ? '1970-01-01T00:00:00.000Z' : '1970-01-01T00:00:00.000000Z', code: '6f1c2d3e-0000-4000-8000-000000000002' });
    expect(a.statements).toBe(1);
  });

  test('lead: masks and per-row fields on folded rows, and lineage says which statement read them', async () => {
    const { a, b } = await both('lead', '{ teams(orderBy: [{id: ASC}]) { id members(orderBy: [{id: ASC}]) { id name email salary admin } } }');
    expect(answer(a.body)).toBe(answer(b.body));
    const members = (a.body.data.teams as { members: { name: string; email: string | null; salary: string | null; admin: boolean }[] }[]).flatMap((t) => t.members);
    expect(members.length).toBeGreaterThan(3);
    for (const m of members) {
      if (m.email !== null) expect(m.email).toMatch(/\*\*\*/);
      if (!m.admin) expect(m.salary).toBeNull();
      expect(m.name.startsWith('Member') || m.name.startsWith("O'Brien")).toBe(m.admin);
    }
    expect(members.some((m) => m.admin && m.salary !== null)).toBe(true);
    const lineage = a.body.extensions.lineage as { path: string; statements: number; readWith?: string; rows: number; masks?: unknown[] }[];
    const m = lineage.find((e) => e.path === 'teams.members')!;
    expect(m).toMatchObject({ statements: 0, readWith: 'teams', rows: members.length });
    expect(m.masks).toEqual(expect.arrayContaining([{ field: 'email', mask: 'email' }]));
    const separateLineage = b.body.extensions.lineage as typeof lineage;
    expect(separateLineage.find((e) => e.path === 'teams.members')).toMatchObject({ statements: 1, rows: members.length });
    expect(separateLineage.some((e) => e.readWith !== undefined)).toBe(false);
  });

  test('lead: only active teams and their members; the inactive team and the member without a team never show', async () => {
    const { a } = await both('lead', '{ teams(orderBy: [{id: ASC}]) { id active members { id } } member(id: 12) { id } }');
    expect(a.body.data.teams.map((t: { id: number }) => t.id)).toEqual([1, 2, 4]);
    expect(a.body.data.member).toBeNull();
    const ids = a.body.data.teams.flatMap((t: { members: { id: number }[] }) => t.members.map((m) => m.id)).sort((x: number, y: number) => x - y);
    expect(ids).toEqual([1, 2, 4, 5, 7, 8, 10, 11]);
  });

  test('a nested argument refused at resolve time fails at its own path, as before, and the parents still answer', async () => {
    const { a, b } = await both('admin', '{ teams(orderBy: [{id: ASC}]) { id members(offset: -5) { id } } }');
    expect(answer(a.body)).toBe(answer(b.body));
    expect(a.body.errors?.[0]).toMatchObject({ path: ['teams', 0, 'members'], extensions: { code: 'BAD_USER_INPUT' } });
    expect(a.body.data.teams[0]).toEqual({ id: 1, members: null });
  });

  test('the result cache keys the folded statement whole: a cached answer equals a fresh one', async () => {
    const q = DEEP.replace('{\n  teams', 'query D @cached(ttl: 30) {\n  teams');
    const first = await both('lead', q);
    const again = await both('lead', q);
    expect(answer(again.a.body)).toBe(answer(first.b.body));
    expect(again.a.statements).toBe(0);
  });

  describe.each(['admin', 'lead', 'auditor'])('connections, as %s', (role) => {
    test('the nodes of a page read their relationships in the page\'s statement; pages, cursors and counts unchanged', async () => {
      for (const at of ['edges { cursor node { ...M } }', 'nodes { ...M }']) {
        const q = `query P($after: String) {
          membersConnection(first: 3, after: $after, orderBy: [{id: ASC}]) { totalCount pageInfo { hasNextPage endCursor } ${at} }
        }
        fragment M on Member { id name team { id name } tasks(orderBy: [{id: ASC}], limit: 2) { id title } }`;
        let after: string | null = null;
        let pages = 0;
        do {
          const { a, b } = await both(role, q, { after });
          expect(a.body.errors).toBeUndefined();
          expect(answer(a.body)).toBe(answer(b.body));
          // The page and its count: two statements; the members' team and tasks cost none of their own.
          expect(a.statements).toBe(2);
          expect(b.statements).toBe(4);
          const lineage = a.body.extensions.lineage as { path: string; readWith?: string; rows: number; read?: number }[];
          const base = at.startsWith('edges') ? 'membersConnection.edges.node' : 'membersConnection.nodes';
          const c = a.body.data.membersConnection;
          const nodes = (c.edges ? c.edges.map((e: { node: unknown }) => e.node) : c.nodes) as { tasks: unknown[]; team: unknown }[];
          expect(lineage.find((e) => e.path === `${base}.tasks`)).toMatchObject({ readWith: 'membersConnection', rows: nodes.flatMap((n) => n.tasks).length });
          expect(lineage.find((e) => e.path === `${base}.team`)).toMatchObject({ readWith: 'membersConnection', rows: nodes.filter((n) => n.team).length });
          after = c.pageInfo.hasNextPage ? c.pageInfo.endCursor : null;
          pages++;
        } while (after && pages < 10);
        expect(pages).toBeGreaterThan(1);
      }
    });
  });
});
