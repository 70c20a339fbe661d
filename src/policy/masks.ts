import { createHmac } from 'node:crypto';
import type { FieldType } from '../model';
import type { MaskKind } from './types';

export type MaskFn = (value: unknown) => unknown;

function yearOf(type: FieldType, v: unknown): unknown {
  const s = v instanceof Date ? v.toISOString() : String(v);
  const year = s.slice(0, 4);
  return type === 'Date' ? `${year}-01-01` : `${year}-01-01T00:00:00.000Z`;
}

/**
 * One small function per mask. NULL stays NULL (a mask hides a value, not whether there is one).
 * `hash` is keyed (HMAC-SHA256): stable, so equal values still join and group, and nobody without
 * the key can confirm a guess by hashing it.
 */
export function createMask(kind: MaskKind, type: FieldType, secret: Buffer): MaskFn {
  switch (kind) {
    case 'null':
      return () => null;
    case 'redact':
      return (v) => (v == null ? v : '***');
    case 'hash':
      return (v) => (v == null ? v : 'h_' + createHmac('sha256', secret).update(String(v)).digest('hex').slice(0, 20));
    case 'email':
      return (v) => {
        if (v == null) return v;
        // By code points, so an emoji or other astral character is never cut in half.
        const s = String(v);
        const at = s.lastIndexOf('@');
        return at > 0 ? `${String.fromCodePoint(s.codePointAt(0)!)}***${s.slice(at)}` : '***';
      };
    case 'last4':
      return (v) => {
        if (v == null) return v;
        const chars = Array.from(String(v));
        return chars.length > 4 ? `***${chars.slice(-4).join('')}` : '***';
      };
    case 'year':
      return (v) => (v == null ? v : yearOf(type, v));
  }
}

export const MASK_DESCRIPTIONS: Record<MaskKind, string> = {
  null: 'always null for your role',
  redact: 'replaced by ***',
  hash: 'a keyed hash (h_…): equal values give equal hashes, so it still joins and groups',
  email: 'shown as a***@domain',
  last4: 'only the last four characters are shown',
  year: 'only the year is shown (as its first day)',
};
