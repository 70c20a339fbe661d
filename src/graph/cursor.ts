import { createCipheriv, createDecipheriv, createHash, createHmac } from 'node:crypto';
import { DatagateError, ErrorCode } from '../errors';
import type { Entity } from '../model';
import type { OrderTerm } from '../planning';

/**
 * Opaque, authenticated keyset cursors: AES-256-GCM over JSON [orderSignature, values], so a client
 * can neither read the row values a cursor carries (its key and sort values, which may be fields the
 * caller sees masked) nor change them. The IV is derived from the plaintext (synthetic IV), so one
 * position always gives one cursor. A cursor made for another role set, entity or ordering is refused.
 */
export function orderSignature(entity: Entity, terms: readonly OrderTerm[], roleSet = ''): string {
  return `${roleSet}|${entity.name}:${terms.map((t) => `${t.field} ${t.direction} ${t.nulls}`).join(',')}`;
}

interface Keys {
  enc: Buffer;
  mac: Buffer;
}
const derived = new WeakMap<Buffer, Keys>();
function keysOf(secret: Buffer): Keys {
  let k = derived.get(secret);
  if (!k) {
    k = { enc: createHash('sha256').update('datagate cursor enc\0').update(secret).digest(), mac: createHash('sha256').update('datagate cursor iv\0').update(secret).digest() };
    derived.set(secret, k);
  }
  return k;
}

export function encodeCursor(secret: Buffer, signature: string, values: readonly unknown[]): string {
  const k = keysOf(secret);
  const plain = Buffer.from(JSON.stringify([signature, values]));
  const iv = createHmac('sha256', k.mac).update(plain).digest().subarray(0, 12);
  const cipher = createCipheriv('aes-256-gcm', k.enc, iv);
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
}

const bad = (why: string) => new DatagateError(ErrorCode.BAD_CURSOR, `invalid cursor: ${why}; use a cursor from this connection's pageInfo or edges`);

export function decodeCursor(secret: Buffer, signature: string, terms: readonly OrderTerm[], cursor: string): unknown[] {
  if (cursor.length > 4096 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad('malformed');
  const raw = Buffer.from(cursor, 'base64url');
  if (raw.length < 12 + 16 + 2) throw bad('malformed');
  const k = keysOf(secret);
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', k.enc, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    plain = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
  } catch {
    throw bad('it was not made by this gateway, or it was changed');
  }
  let sig: unknown, values: unknown;
  try {
    [sig, values] = JSON.parse(plain.toString('utf8'));
  } catch {
    throw bad('malformed');
  }
  if (sig !== signature || !Array.isArray(values) || values.length !== terms.length) throw bad('it was made for another ordering, filter or role');
  // DateTime stays the row's ISO text, with every digit the source gave: a Date would cut microseconds
  // and the next page would start again inside the rows already passed.
  return values;
}
