import { createHmac } from 'node:crypto';
import { parseYaml } from '../../src/config';
import type { FieldType } from '../../src/model';
import { buildModel } from '../../src/model';
import { createMask, createPolicyEngine, MASK_DESCRIPTIONS, MASK_KINDS, type MaskKind } from '../../src/policy';

/** Every mask of docs/POLICIES.md on representative values, NULL included. */
const SECRET = Buffer.from('mask-test-secret-0123456789');
const mask = (kind: MaskKind, type: FieldType = 'String', secret = SECRET) => createMask(kind, type, secret);
const HASH = /^h_[0-9a-f]{20}$/;

describe('NULL stays NULL under every mask (a mask hides a value, not whether there is one)', () => {
  const types: Record<MaskKind, FieldType> = { null: 'Int', redact: 'String', hash: 'ID', email: 'String', last4: 'String', year: 'DateTime' };
  test.each(MASK_KINDS.map((k) => [k] as const))('%s', (kind) => {
    expect(mask(kind, types[kind])(null)).toBeNull();
    expect(mask(kind, types[kind])(undefined) ?? null).toBeNull();
  });
});

describe('null', () => {
  test.each([
    ['String', 'alice@example.com'],
    ['String', ''],
    ['Int', 42],
    ['Int', 0],
    ['Boolean', false],
    ['DateTime', '2026-07-15T10:20:30.000Z'],
    ['JSON', { a: 1 }],
  ] as [FieldType, unknown][])('%s %j → null', (type, value) => {
    expect(mask('null', type)(value)).toBeNull();
  });
});

describe('redact', () => {
  test.each([
    ['secret', '***'],
    ['', '***'],
    ['a', '***'],
    ['Ünïcode Straße 😀', '***'],
  ])('%j → %j', (value, expected) => {
    expect(mask('redact')(value)).toBe(expected);
  });
  test('an ID given as a number', () => {
    expect(mask('redact', 'ID')(42)).toBe('***');
  });
});

describe('email', () => {
  test.each([
    ['alice@example.com', 'a***@example.com'],
    ['a@b.co', 'a***@b.co'],
    ['Bob.Smith+tag@mail.example.org', 'B***@mail.example.org'],
    ['x@y@z.com', 'x***@z.com'],
    ['alice@', 'a***@'],
    ['no-at-sign', '***'],
    ['@example.com', '***'],
    ['', '***'],
    ['a', '***'],
    ['émile@exämple.com', 'é***@exämple.com'],
    ['Ωmega@例え.jp', 'Ω***@例え.jp'],
  ])('%j → %j', (value, expected) => {
    expect(mask('email')(value)).toBe(expected);
  });

  test('keeps the whole first character when it lies outside the BMP (no lone surrogate)', () => {
    // '😀' is two UTF-16 code units: s[0] is half a character, which is not valid text.
    expect(mask('email')('😀bob@example.com')).toBe('😀***@example.com');
  });
});

describe('last4', () => {
  test.each([
    ['4111111111111111', '***1111'],
    ['+1 555 0100', '***0100'],
    ['abcde', '***bcde'],
    ['abcd', '***'],
    ['abc', '***'],
    ['', '***'],
    ['Straße 12345', '***2345'],
    ['ab😀cdef', '***cdef'],
  ])('%j → %j', (value, expected) => {
    expect(mask('last4')(value)).toBe(expected);
  });

  test('an ID given as a number', () => {
    expect(mask('last4', 'ID')(123456)).toBe('***3456');
  });

  test('the last four characters, not code units: no half of a character outside the BMP', () => {
    expect(mask('last4')('abc😀def')).toBe('***😀def');
  });
});

describe('year', () => {
  test.each([
    ['Date', '2026-07-15', '2026-01-01'],
    ['Date', '1999-12-31', '1999-01-01'],
    ['Date', '2026-01-01', '2026-01-01'],
    ['Date', '0099-05-05', '0099-01-01'],
    ['Date', new Date('2026-07-15T00:00:00.000Z'), '2026-01-01'],
    ['DateTime', '2026-07-15T10:20:30.123Z', '2026-01-01T00:00:00.000Z'],
    ['DateTime', '2026-07-15T10:20:30.123456Z', '2026-01-01T00:00:00.000Z'],
    ['DateTime', '2026-12-31T23:59:59.999Z', '2026-01-01T00:00:00.000Z'],
    ['DateTime', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'],
    ['DateTime', new Date('2031-03-04T05:06:07.000Z'), '2031-01-01T00:00:00.000Z'],
  ] as [FieldType, unknown, string][])('%s %j → %j', (type, value, expected) => {
    expect(mask('year', type)(value)).toBe(expected);
  });

  test('Date and DateTime give values of their own type', () => {
    expect(mask('year', 'Date')('2026-07-15')).toMatch(/^\d{4}-01-01$/);
    expect(mask('year', 'DateTime')('2026-07-15T10:20:30.000Z')).toMatch(/^\d{4}-01-01T00:00:00\.000Z$/);
    expect(new Date(mask('year', 'DateTime')('2026-07-15T10:20:30.000Z') as string).toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });
});

describe('hash', () => {
  const h = mask('hash');

  test.each(['alice@example.com', '', 'a', 'Ünïcode Straße 😀', ' ', 'x'.repeat(10_000)])('%j has the format h_ + 20 hex digits', (value) => {
    expect(h(value)).toMatch(HASH);
  });

  test('is HMAC-SHA256 under the secret, truncated to 20 hex digits', () => {
    const expected = 'h_' + createHmac('sha256', SECRET).update('alice@example.com').digest('hex').slice(0, 20);
    expect(h('alice@example.com')).toBe(expected);
  });

  test('stable: equal values hash equal (also through another mask function with the same secret)', () => {
    expect(h('alice@example.com')).toBe(h('alice@example.com'));
    expect(mask('hash', 'ID', Buffer.from(SECRET))('alice@example.com')).toBe(h('alice@example.com'));
  });

  test('different values hash differently (case, whitespace, unicode normalisation are values too)', () => {
    const values = ['alice@example.com', 'Alice@example.com', 'alice@example.com ', 'bob@example.com', '', 'é', 'e\u0301', '1', '01'];
    const hashes = values.map(h);
    expect(new Set(hashes).size).toBe(values.length);
  });

  test('different secrets hash differently', () => {
    const other = mask('hash', 'String', Buffer.from('another-secret-0123456789'));
    expect(other('alice@example.com')).toMatch(HASH);
    expect(other('alice@example.com')).not.toBe(h('alice@example.com'));
  });

  test('an ID given as a number hashes as its canonical text', () => {
    expect(mask('hash', 'ID')(42)).toBe(mask('hash', 'ID')('42'));
  });

  test('through the policy engine: masking.secret makes hashes equal across engines; without it each engine draws its own key', () => {
    const registry = buildModel([parseYaml('m.yaml', 'C:\n  source: s\n  table: c\n  key: id\n  fields: { id: { type: ID } }\n')], ['s']);
    const policies = { roles: new Map(), anonymousRole: 'anonymous' };
    const a = createPolicyEngine(policies, registry, { maskSecret: 'shared-secret-0123456789' });
    const b = createPolicyEngine(policies, registry, { maskSecret: 'shared-secret-0123456789' });
    expect(a.mask('hash', 'String')('alice')).toBe(b.mask('hash', 'String')('alice'));
    expect(a.mask('hash', 'String')('alice')).toBe(mask('hash', 'String', Buffer.from('shared-secret-0123456789'))('alice'));
    const r1 = createPolicyEngine(policies, registry);
    const r2 = createPolicyEngine(policies, registry);
    expect(r1.mask('hash', 'String')('alice')).toMatch(HASH);
    expect(r1.mask('hash', 'String')('alice')).not.toBe(r2.mask('hash', 'String')('alice'));
    // One function per (kind, type), reused.
    expect(a.mask('email', 'String')).toBe(a.mask('email', 'String'));
  });
});

test('every mask has a description for the schema', () => {
  for (const k of MASK_KINDS) expect(MASK_DESCRIPTIONS[k]).toEqual(expect.any(String));
  expect(Object.keys(MASK_DESCRIPTIONS).sort()).toEqual([...MASK_KINDS].sort());
});
