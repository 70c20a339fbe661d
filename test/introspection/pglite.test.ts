import { connectSource } from '../../src/sources';
import { sourceConfig } from './databases';
import { postgresRoundTrip } from './postgresSuite';

// Embedded PostgreSQL (no url): the same catalog queries must work on PGlite. citext needs an extension bundle there.
describe('introspection on PGlite', () => {
  postgresRoundTrip(() => connectSource('crm', sourceConfig('postgres')), { citext: false });
});
