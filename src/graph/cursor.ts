import { createHmac, timingSafeEqual } from 'node:crypto';
import { DatagateError, ErrorCode } from '../errors';
import type { Entity } from '../model';
import type { OrderTerm } from '../planning';

/**
 * Opaque, signed keyset cursors: base64url(JSON [orderSignature, values]) + "." + HMAC.
 * A cursor from another entity or ordering, or one a client edited, is refused.
 */
export function orderSignature(entity: Entity, terms: readonly OrderTerm[]): string {
  return `${entity.name}:${terms.map((t) => `${t.field} ${t.direction} ${t.nulls}`).join(',')}`;
}

function mac(key: Buffer, payload: string): Buffer {
  return createHmac('sha256', key).update(payload).digest().subarray(0, 16);
}

export function encodeCursor(key: Buffer, signature: string, values: readonly unknown[]): string {
  const payload = Buffer.from(JSON.stringify([signature, values])).toString('base64url');
  return `${payload}.${mac(key, payload).toString('base64url')}`;
}

const bad = (why: string) => new DatagateError(ErrorCode.BAD_CURSOR, `invalid cursor: ${why}; use a cursor from this connection's pageInfo or edges`);

export function decodeCursor(key: Buffer, signature: string, terms: readonly OrderTerm[], cursor: string): unknown[] {
  const dot = cursor.indexOf('.');
  if (dot < 1 || cursor.length > 4096) throw bad('malformed');
  const payload = cursor.slice(0, dot);
  const given = Buffer.from(cursor.slice(dot + 1), 'base64url');
  const expected = mac(key, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw bad('signature does not match');
  let sig: unknown, values: unknown;
  try {
    [sig, values] = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw bad('malformed');
  }
  if (sig !== signature || !Array.isArray(values) || values.length !== terms.length) throw bad('it was made for another ordering or filter');
  // DateTime stays the row's ISO text, with every digit the source gave: a Date would cut microseconds
  // and the next page would start again inside the rows already passed.
  return values;
}
