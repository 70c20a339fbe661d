import { decoders } from '../../src/sources/decode';
import { wireTimestampToIso as timestampToIso } from '../../src/sources/decode';

test.each([
  ['2026-10-31 12:00:00.123456+00', '2026-10-31T12:00:00.123456Z'],
  ['2026-10-31 12:00:00.123400', '2026-10-31T12:00:00.123400Z'],
  ['2026-10-31 12:00:00.0001+00', '2026-10-31T12:00:00.000100Z'],
  ['2026-10-31 12:00:00.1+00', '2026-10-31T12:00:00.100Z'],
  ['2026-10-31 12:00:00+00', '2026-10-31T12:00:00.000Z'],
  ['2024-02-29 23:59:59.999', '2024-02-29T23:59:59.999Z'],
  ['2026-10-31 14:00:00.5+02', '2026-10-31T12:00:00.500Z'],
  ['2026-10-31 17:30:00+05:30', '2026-10-31T12:00:00.000Z'],
  ['infinity', 'infinity'],
])('wire timestamp %s → %s', (wire, iso) => {
  expect(timestampToIso(wire)).toBe(iso);
});

test.each([
  ['Date', decoders.DateTime, new Date('2026-01-02T03:04:05.006Z'), '2026-01-02T03:04:05.006Z'],
  ['SQLite text without zone', decoders.DateTime, '2026-01-02 03:04:05', '2026-01-02T03:04:05.000Z'],
  ['ISO text with offset', decoders.DateTime, '2026-01-02T05:04:05+02:00', '2026-01-02T03:04:05.000Z'],
  ['BigInt from a JS bigint', decoders.BigInt, 9223372036854775807n, '9223372036854775807'],
  ['Decimal from a double', decoders.Decimal, 10.5, '10.5'],
  ['Boolean from 1', decoders.Boolean, 1, true],
  ['Boolean from 0n', decoders.Boolean, 0n, false],
  ['Date from a Date', decoders.Date, new Date('2026-03-04T00:00:00Z'), '2026-03-04'],
  ['JSON from text', decoders.JSON, '{"a":[1]}', { a: [1] }],
  ['Int from a bigint', decoders.Int, 42n, 42],
])('decode %s', (_n, decode, raw, expected) => {
  expect(decode!(raw)).toEqual(expected);
});
