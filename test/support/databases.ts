import { randomBytes } from 'node:crypto';
import knex, { type Knex } from 'knex';

export const PG_URL = process.env.DATAGATE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const MYSQL_URL = process.env.DATAGATE_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/';

const HOW_TO_START =
  'Start the test databases with `bash .ci/services.sh` (installs and starts PostgreSQL on 127.0.0.1:5432 and MariaDB on 127.0.0.1:3306), ' +
  'or point DATAGATE_TEST_PG_URL / DATAGATE_TEST_MYSQL_URL at running servers.';

export interface TestDatabase {
  /** URL of the new, empty database. */
  url: string;
  name: string;
  drop(): Promise<void>;
}

function uniqueName(prefix: string): string {
  return `dg_${prefix}_${process.pid}_${randomBytes(3).toString('hex')}`;
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

async function admin(client: 'pg' | 'mysql2', url: string): Promise<Knex> {
  const k = knex({ client, connection: url, pool: { min: 0, max: 1 }, acquireConnectionTimeout: 5000 });
  try {
    await k.raw('select 1');
  } catch (e) {
    await k.destroy();
    const which = client === 'pg' ? `PostgreSQL at ${new URL(url).host}` : `MySQL/MariaDB at ${new URL(url).host}`;
    throw new Error(`${which} is not reachable (${(e as Error).message.split('\n')[0]}). ${HOW_TO_START}`);
  }
  return k;
}

interface Server {
  client: 'pg' | 'mysql2';
  adminUrl: string;
  create: string;
  drop: string;
}

const POSTGRES: Server = { client: 'pg', adminUrl: PG_URL, create: 'create database ??', drop: 'drop database if exists ?? with (force)' };
const MYSQL: Server = {
  client: 'mysql2',
  adminUrl: MYSQL_URL,
  create: 'create database ?? character set utf8mb4 collate utf8mb4_unicode_ci',
  drop: 'drop database if exists ??',
};

async function withAdmin<T>(server: Server, fn: (k: Knex) => Promise<T>): Promise<T> {
  const k = await admin(server.client, server.adminUrl);
  try {
    return await fn(k);
  } finally {
    await k.destroy();
  }
}

/** A fresh, uniquely named database on `server`; drop() removes it. Fails (never skips) when no server answers. */
async function createDatabase(server: Server, prefix: string): Promise<TestDatabase> {
  const name = uniqueName(prefix);
  await withAdmin(server, (k) => k.raw(server.create, [name]));
  return { url: withDatabase(server.adminUrl, name), name, drop: () => withAdmin(server, (k) => k.raw(server.drop, [name])).then(() => {}) };
}

export const createPgDatabase = (prefix = 't'): Promise<TestDatabase> => createDatabase(POSTGRES, prefix);
export const createMysqlDatabase = (prefix = 't'): Promise<TestDatabase> => createDatabase(MYSQL, prefix);

/** A knex on a test database; MySQL sessions in UTC, as the gateway's own. */
export function knexFor(url: string): Knex {
  if (url.startsWith('mysql')) {
    const u = new URL(url);
    return knex({
      client: 'mysql2',
      connection: { host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database: u.pathname.slice(1), timezone: 'Z' },
      pool: { min: 0, max: 1 },
    });
  }
  return knex({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
}
