import { uuidv7 } from '../../src/store/codec';

describe('uuidv7 (audit record ids)', () => {
  test('is an RFC 9562 version 7 UUID whose first 48 bits are the time in ms', () => {
    const at = Date.parse('2026-11-27T04:20:00.123Z');
    const id = uuidv7(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
  });

  test('ids of later times sort after earlier ones as text (what keeps inserts at the end of the index), and never repeat', () => {
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    const ids = Array.from({ length: 2000 }, (_, i) => uuidv7(t0 + i * 7));
    expect([...ids].sort()).toEqual(ids);
    const same = Array.from({ length: 5000 }, () => uuidv7(t0));
    expect(new Set(same).size).toBe(5000);
  });

  test('times outside 48 bits are clamped, not wrapped', () => {
    expect(uuidv7(-5).startsWith('00000000-0000-7')).toBe(true);
    expect(uuidv7(2 ** 50).startsWith('ffffffff-ffff-7')).toBe(true);
  });
});
