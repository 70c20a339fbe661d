import { scrubValues } from '../../src/errors';
import { createLogger, logLevelOf } from '../../src/server/logger';

function capture(level: Parameters<typeof createLogger>[0]['level'], fields: string[] = []) {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ level, fields, destination: { write: (s: string) => void lines.push(...s.split('\n').filter(Boolean).map((l) => JSON.parse(l))) } });
  return { log, lines };
}

test('records are JSON lines with an ISO time, a level name and msg; levels below the logger are dropped', () => {
  const { log, lines } = capture('info');
  log({ level: 'debug', msg: 'hidden' });
  log({ msg: 'default level', requestId: 'r1' });
  log({ level: 'warn', msg: 'a warning', code: 'X' });
  expect(lines).toEqual([
    expect.objectContaining({ level: 'info', msg: 'default level', requestId: 'r1', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }),
    expect.objectContaining({ level: 'warn', msg: 'a warning', code: 'X' }),
  ]);
  expect(log.enabled?.('debug')).toBe(false);
  expect(log.enabled?.('info')).toBe(true);
});

test('values under bindings, variables, rows, credentials and masked or pii field names never reach a line', () => {
  const { log, lines } = capture('trace', ['email', 'phone', 'path']);
  log({ level: 'debug', msg: 'oops', bindings: ['a@b.c'], variables: { e: 'a@b.c' }, row: { email: 'a@b.c' }, email: 'a@b.c', phone: '+1 555', token: 'eyJ', path: '/graphql' });
  const text = JSON.stringify(lines);
  expect(text).not.toMatch(/a@b\.c|555|eyJ/);
  expect(lines[0]).toMatchObject({ bindings: '[redacted]', row: '[redacted]', email: '[redacted]', phone: '[redacted]' });
  // The logger's own keys are never hidden by a model field of the same name.
  expect(lines[0].path).toBe('/graphql');
});

test('LOG_LEVEL wins over server.logLevel; unknown values fall back', () => {
  expect(logLevelOf('warn', { LOG_LEVEL: 'debug' })).toBe('debug');
  expect(logLevelOf('warn', {})).toBe('warn');
  expect(logLevelOf(undefined, { LOG_LEVEL: 'loud' })).toBe('info');
});

test.each([
  ['invalid input syntax for type integer: "c1@example.com"', "invalid input syntax for type integer: '?'"],
  [`Incorrect integer value: 'c1@example.com' for column 'id' at row 1`, `Incorrect integer value: '?' for column 'id' at row 1`],
  ['Int cannot represent non-integer value: "c1@example.com"', "Int cannot represent non-integer value: '?'"],
  ['relation "customers" does not exist', 'relation "customers" does not exist'],
  ['connect ECONNREFUSED postgres://u:pw@host/db', 'connect ECONNREFUSED postgres://***@host/db'],
  ['duplicate key value violates unique constraint "pk"\nDETAIL: Key (email)=(a@b.c) already exists.', 'duplicate key value violates unique constraint "pk"'],
])('scrubValues(%j)', (message, expected) => {
  expect(scrubValues(message)).toBe(expected);
});
