import type { Gateway } from '../../src/server';
import { foldsRelatedRows } from '../../src/sources/mysql/dialect';
import { createMysqlDatabase, knexFor, type TestDatabase } from '../support/databases';
import { ADMIN_POLICY, startGateway, TEST_IDENTITY } from '../support/fixture';
import { postGraphQL } from '../support/gql';
import { bearer, mintToken } from '../support/tokens';

/**
 * MariaDB, with `nestedRows: true`, reads related rows inside their parents' statement with JSON_ARRAYAGG, which the server
 * builds like GROUP_CONCAT: cut at group_concat_max_len (1 MB by default; the gateway raises it per
 * session) and, whatever that setting, at max_allowed_packet, with a warning only and into text that
 * may still parse. A folded list must then be complete or fail, never shorter than the rows asked for.
 * test/integration/nestedRows.test.ts holds the folded answers to the unfolded ones on every field type.
 */

test('which servers fold: MariaDB from 10.5 (its JSON_ARRAYAGG orders and pages), not MySQL', () => {
  expect(foldsRelatedRows('10.11.19-MariaDB-0+deb12u1')).toBe(true);
  expect(foldsRelatedRows('5.5.5-10.6.12-MariaDB-log')).toBe(true);
  expect(foldsRelatedRows('11.4.2-MariaDB')).toBe(true);
  expect(foldsRelatedRows('10.5.0-MariaDB')).toBe(true);
  expect(foldsRelatedRows('10.4.32-MariaDB')).toBe(false);
  expect(foldsRelatedRows('8.0.36')).toBe(false);
  expect(foldsRelatedRows('8.4.0-commercial')).toBe(false);
  expect(foldsRelatedRows('')).toBe(false);
});

const MODEL = {
  'doc.yaml': `
Folder:
  source: docs
  table: folders
  key: id
  fields: { id: { type: Int }, name: { type: String, nullable: false } }
  relationships:
    pages: { entity: Page, many: true, on: { id: folder_id } }
Page:
  source: docs
  table: pages
  key: id
  fields: { id: { type: Int }, folder_id: { type: Int, nullable: false }, body: { type: String, nullable: false }, scan_id: { type: Int } }
  relationships:
    scan: { entity: Scan, on: { scan_id: id } }
Scan:
  source: docs
  table: scans
  key: id
  fields: { id: { type: Int }, front: { type: String, nullable: false }, back: { type: String, nullable: false } }
`,
};

const MB = 1024 * 1024;
let db: TestDatabase;
let folded: { gw: Gateway; url: string };
let separate: { gw: Gateway; url: string };
let token: string;
let packet: number;
/** Statements each gateway sent to the source. */
const sent = new Map<Gateway, number>();

beforeAll(async () => {
  db = await createMysqlDatabase('fold');
  const k = knexFor(db.url);
  try {
    packet = Number(Object.values((await k.raw('select @@max_allowed_packet as p'))[0][0] as Record<string, unknown>)[0]);
    if (packet > 64 * MB) throw new Error(`this test needs MariaDB's max_allowed_packet at 64 MB or less (it is ${packet}): it fills one folded list past it`);
    await k.schema.createTable('folders', (t) => {
      t.integer('id').primary();
      t.string('name').notNullable();
    });
    await k.schema.createTable('pages', (t) => {
      t.integer('id').primary();
      t.integer('folder_id').notNullable();
      t.specificType('body', 'longtext').notNullable();
      t.integer('scan_id');
    });
    // One scan whose two sides, each under the packet size, make a row past it.
    await k.schema.createTable('scans', (t) => {
      t.integer('id').primary();
      t.specificType('front', 'longtext').notNullable();
      t.specificType('back', 'longtext').notNullable();
    });
    const side = Math.floor(packet * 0.6);
    await k('scans').insert({ id: 1, front: 'f'.repeat(side), back: '' });
    await k('scans').where({ id: 1 }).update({ back: 'b'.repeat(side) });
    await k('scans').insert({ id: 2, front: 'small', back: 'scan' });
    await k('folders').insert([
      { id: 1, name: 'over a megabyte' },
      { id: 2, name: 'over the packet size' },
    ]);
    // Folder 1: 3 pages of 600 KB, past the default group_concat_max_len. Folder 2: pages of 1 MB, 4 more than the packet holds.
    const pages = [1, 2, 3].map((i) => ({ id: i, folder_id: 1, body: `${i}`.repeat(600 * 1024), scan_id: i === 1 ? 1 : i === 2 ? 2 : null }));
    for (let i = 0; i < packet / MB + 4; i++) pages.push({ id: 100 + i, folder_id: 2, body: String.fromCharCode(97 + (i % 26)).repeat(MB), scan_id: null });
    for (const p of pages) await k('pages').insert(p);
  } finally {
    await k.destroy();
  }
  const files = { model: MODEL, policies: ADMIN_POLICY, extraConfig: TEST_IDENTITY };
  folded = await startGateway({ docs: { dialect: 'mysql', url: db.url, options: { nestedRows: 'true' } } }, files);
  // MariaDB's default: a statement per level (JSON_ARRAYAGG cost MariaDB more CPU than that on bench Q6).
  separate = await startGateway({ docs: { dialect: 'mysql', url: db.url } }, files);
  for (const g of [folded.gw, separate.gw]) {
    sent.set(g, 0);
    g.runtime.sources.get('docs')!.knex.on('query', () => sent.set(g, sent.get(g)! + 1));
  }
  token = await mintToken({ sub: 'admin', roles: ['admin'] });
}, 120_000);

afterAll(async () => {
  await folded?.gw.close();
  await separate?.gw.close();
  await db?.drop();
});

async function ask(g: { gw: Gateway; url: string }, query: string) {
  const before = sent.get(g.gw)!;
  const r = await postGraphQL(g.url, query, undefined, bearer(token));
  expect(r.status).toBe(200);
  return { body: r.body, statements: sent.get(g.gw)! - before };
}

test('a folded list longer than group_concat_max_len\'s default comes whole, in one statement', async () => {
  const q = '{ folder(id: 1) { id pages(orderBy: [{id: DESC}]) { id body } } }';
  const a = await ask(folded, q);
  const b = await ask(separate, q);
  expect(a.body.errors).toBeUndefined();
  expect(a.statements).toBe(1);
  expect(b.statements).toBe(2);
  const pages = a.body.data.folder.pages as { id: number; body: string }[];
  expect(pages.map((p) => p.id)).toEqual([3, 2, 1]);
  expect(pages.map((p) => p.body.length)).toEqual([600 * 1024, 600 * 1024, 600 * 1024]);
  expect(JSON.stringify(a.body.data)).toBe(JSON.stringify(b.body.data));
});

test('a folded list the server cuts at its packet size fails at its path with what to do; never fewer rows', async () => {
  const q = '{ folders(orderBy: [{id: ASC}]) { id name pages(orderBy: [{id: ASC}], limit: 1000) { id body } } }';
  const a = await ask(folded, q);
  expect(a.body.data?.folders ?? null).toBeNull();
  const err = a.body.errors?.[0];
  expect(err).toMatchObject({ extensions: { code: 'SOURCE_QUERY_FAILED' } });
  expect(err?.message).toMatch(/cut the Page rows read with their parents short .*max_allowed_packet.*set nestedRows: false on source "docs"/);
  expect(JSON.stringify(a.body)).not.toMatch(/aaaa|json_arrayagg|select /i);
  // The same request unfolded: every page, each in a row of its own.
  const b = await ask(separate, q);
  expect(b.body.errors).toBeUndefined();
  expect(b.body.data.folders[1].pages).toHaveLength(Math.ceil(packet / MB + 4));
  // And the folded gateway still answers what fits.
  const small = await ask(folded, '{ folders(orderBy: [{id: ASC}]) { id pages(orderBy: [{id: ASC}], limit: 2) { id } } }');
  expect(small.body.errors).toBeUndefined();
  expect(small.body.data.folders).toEqual([
    { id: 1, pages: [{ id: 1 }, { id: 2 }] },
    { id: 2, pages: [{ id: 100 }, { id: 101 }] },
  ]);
  expect(small.statements).toBe(1);
});

test('a related row past the packet size fails at its path; it never reads as no row', async () => {
  const a = await ask(folded, '{ page(id: 1) { id scan { id front back } } }');
  expect(a.statements).toBe(1);
  expect(a.body.errors?.[0]).toMatchObject({ extensions: { code: 'SOURCE_QUERY_FAILED' } });
  expect(a.body.errors?.[0]?.message).toMatch(/cut the Scan rows read with their parents short/);
  expect(a.body.data?.page ?? null).toBeNull();
  // A row that fits, and a page without one, in one statement each.
  const ok = await ask(folded, '{ two: page(id: 2) { id scan { id front back } } three: page(id: 3) { id scan { id } } }');
  expect(ok.body.errors).toBeUndefined();
  expect(ok.body.data).toEqual({ two: { id: 2, scan: { id: 2, front: 'small', back: 'scan' } }, three: { id: 3, scan: null } });
  expect(ok.statements).toBe(2);
});
