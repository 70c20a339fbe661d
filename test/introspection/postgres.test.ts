import { connectSource } from '../../src/sources';
import { createPostgresDatabase, sourceConfig, type TestDatabase } from './databases';
import { postgresRoundTrip } from './postgresSuite';

describe('introspection on PostgreSQL', () => {
  let db: TestDatabase | undefined;
  afterAll(async () => {
    await db?.drop();
  });
  postgresRoundTrip(async () => {
    db = await createPostgresDatabase();
    return connectSource('crm', sourceConfig('postgres', db.url));
  }, { citext: true });
});
