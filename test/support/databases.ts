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

/** A fresh, uniquely named PostgreSQL database; drop() removes it. Fails (never skips) when no server answers. */
export async function createPgDatabase(prefix = 't'): Promise<TestDatabase> {
  const k = await admin('pg', PG_URL);
  const name = uniqueName(prefix);
  try {
    await k.raw('create database ??', [name]);
  } finally {
    await k.destroy();
  }
  return {
    url: withDatabase(PG_URL, name),
    name,
    async drop() {
      const a = await admin('pg', PG_URL);
      try {
        await a.raw('drop database if exists ?? with (force)', [name]);
      } finally {
        await a.destroy();
      }
    },
  };
}

export async function createMysqlDatabase(prefix = 't'): Promise<TestDatabase> {
  const k = await admin('mysql2', MYSQL_URL);
  const name = uniqueName(prefix);
  try {
    await k.raw('create database ?? character set utf8mb4 collate utf8mb4_unicode_ci', [name]);
  } finally {
    await k.destroy();
  }
  return {
    url: withDatabase(MYSQL_URL, name),
    name,
    async drop() {
      const a = await admin('mysql2', MYSQL_URL);
      try {
        await a.raw('drop database if exists ??', [name]);
      } finally {
        await a.destroy();
      }
    },
  };
}

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
