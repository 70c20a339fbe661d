import path from 'node:path';
import { loadConfig } from '../../src/config';
import { openMetadataStore } from '../../src/store/openMetadataStore';
import { createPgDatabase, type TestDatabase } from '../support/databases';
import { writeDeployment } from '../support/fixture';

/**
 * Which metadata store a deployment opens: the SQLite file next to datagate.yaml by default,
 * PostgreSQL when DATAGATE_META_URL is set, and `metadata.url` in datagate.yaml over both.
 */
let db: TestDatabase;
beforeAll(async () => {
  db = await createPgDatabase('metaurl');
});
afterAll(async () => db?.drop());

const open = async (dir: string, env: NodeJS.ProcessEnv) => {
  const loaded = loadConfig(path.join(dir, 'datagate.yaml'), env);
  const store = await openMetadataStore(loaded, env, () => {});
  try {
    const tables = store.kind === 'postgres' ? await store.knex.raw(`select to_regclass('access_requests') as t`) : undefined;
    return { kind: store.kind, location: store.location, migrated: tables ? (tables.rows[0].t as string | null) : null };
  } finally {
    await store.close();
  }
};

test('no setting: the SQLite file next to datagate.yaml', async () => {
  const dir = writeDeployment({ crm: { dialect: 'sqlite' } });
  expect(await open(dir, {})).toEqual({ kind: 'sqlite', location: path.join(dir, 'datagate-meta.sqlite'), migrated: null });
});

test('DATAGATE_META_URL: PostgreSQL, migrated, the password never in its location', async () => {
  const dir = writeDeployment({ crm: { dialect: 'sqlite' } });
  const url = new URL(db.url);
  url.password = 'not-needed-with-trust';
  const r = await open(dir, { DATAGATE_META_URL: url.toString() });
  expect(r).toEqual({ kind: 'postgres', location: expect.stringMatching(new RegExp(`^postgres://postgres@[^/]+/${db.name}$`)), migrated: 'access_requests' });
});

test('metadata.url in datagate.yaml wins over DATAGATE_META_URL', async () => {
  const dir = writeDeployment({ crm: { dialect: 'sqlite' } }, { extraConfig: 'metadata: { url: ":memory:" }' });
  expect((await open(dir, { DATAGATE_META_URL: db.url })).kind).toBe('sqlite');
});
