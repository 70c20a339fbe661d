import { classifySourceError } from '../../src/sources';

/** Errors in the shapes pg, mysql2, knex and better-sqlite3 throw them, each to its safe code. */
const err = (props: Record<string, unknown>, message = 'select secret from t where x = 42') => Object.assign(new Error(message), props);

test.each([
  ['PostgreSQL statement_timeout', err({ code: '57014' }), 'SOURCE_TIMEOUT'],
  ["pg's own query_timeout", new Error('Query read timeout'), 'SOURCE_TIMEOUT'],
  ['MariaDB max_statement_time', err({ code: 'ER_STATEMENT_TIMEOUT', errno: 1969 }), 'SOURCE_TIMEOUT'],
  ["mysql2's own timeout", err({ code: 'PROTOCOL_SEQUENCE_TIMEOUT' }), 'SOURCE_TIMEOUT'],
  ['refused connection', err({ code: 'ECONNREFUSED' }), 'SOURCE_UNAVAILABLE'],
  ['no pooled connection in time', err({ name: 'KnexTimeoutError' }, 'Knex: Timeout acquiring a connection.'), 'SOURCE_UNAVAILABLE'],
  ['bad password', err({ code: '28P01' }), 'SOURCE_AUTH_FAILED'],
  ['MySQL access denied', err({ code: 'ER_ACCESS_DENIED_ERROR' }), 'SOURCE_AUTH_FAILED'],
  ['anything else', err({ code: '42P01' }), 'SOURCE_QUERY_FAILED'],
])('%s → %s', (_n, e, code) => {
  const d = classifySourceError('crm', e);
  expect(d.code).toBe(code);
  expect(d.message).toContain('"crm"');
  expect(d.message).not.toMatch(/secret|select|42/);
  expect(d.cause).toBe(e);
});
