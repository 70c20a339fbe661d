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

/**
 * The timestamp decoder checks the usual forms by position (no regular expression per value): on
 * thousands of generated texts, valid and nearly valid, it must answer exactly what the regular
 * expression and Date fallback it replaced answer.
 */
test('the positional timestamp path answers what the regular expression did, on generated texts', () => {
  const RE = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?(?:\+00|Z)?$/;
  const reference = (v: string): string => {
    const m = RE.exec(v);
    if (m) {
      const frac = m[3] ?? '';
      return `${m[1]}T${m[2]}.${frac.padEnd(frac.length > 3 ? 6 : 3, '0')}Z`;
    }
    const d = new Date(v.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));
    return Number.isNaN(d.getTime()) ? v : d.toISOString();
  };
  let seed = 12345;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const digits = (k: number) => Array.from({ length: k }, () => String(rnd(10))).join('');
  const pick = <T>(xs: readonly T[]) => xs[rnd(xs.length)];
  let matched = 0;
  for (let i = 0; i < 20000; i++) {
    const date = `${pick(['2026', '1999', '0001', '20x6'])}${pick(['-', '/'])}${pick(['01', '12', '1a'])}-${pick(['05', '31'])}`;
    const time = `${pick(['00', '23', '7'])}:${digits(2)}${pick([':', '.'])}${digits(2)}`;
    const frac = pick(['', '.', `.${digits(1 + rnd(8))}`]);
    const zone = pick(['', '+00', 'Z', '+02', '+05:30', 'z', ' ', '+0', '+000']);
    let v = `${date}${pick([' ', 'T', '_'])}${time}${frac}${zone}`;
    if (rnd(10) === 0) v = v.slice(0, rnd(v.length + 1));
    if (RE.test(v)) matched++;
    expect([v, timestampToIso(v)]).toEqual([v, reference(v)]);
    // The DateTime decoder (SQLite and MySQL text) as it was: ISO kept, the expression's forms converted, else Date.
    const asBefore = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(v) ? v : RE.test(v) ? reference(v) : Number.isNaN(new Date(v).getTime()) ? v : new Date(v).toISOString();
    expect([v, decoders.DateTime!(v)]).toEqual([v, asBefore]);
  }
  // The generator reaches both sides: texts the fast path takes, and texts it must leave to the fallback.
  expect(matched).toBeGreaterThan(500);
  expect(matched).toBeLessThan(19000);
});
