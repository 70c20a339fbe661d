import { DatagateError, ErrorCode } from '../errors';
import type { Entity, Field, FieldType } from '../model';
import type { NestedSelect } from '../planning';
import type { NestedList } from './sql/SqlDialect';
import type { Row } from './SourceAdapter';

/**
 * Driver values → canonical GraphQL values, whatever the engine returned:
 * BigInt/Decimal as exact strings (never through a float), DateTime as ISO-8601 with offset,
 * Date as YYYY-MM-DD, Boolean from 0/1, JSON parsed from text.
 */
type Decoder = (v: unknown) => unknown;

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/**
 * A server's timestamp text in UTC (`2026-10-31 12:00:00.123456`, PostgreSQL adds `+00`) → ISO-8601
 * with at least millisecond and at most microsecond digits, so keyset cursors keep the full
 * precision the database compares with. Other forms (infinity, BC, other offsets) go through Date.
 */
export function wireTimestampToIso(v: string): string {
  const plain = plainUtcTimestamp(v);
  if (plain !== undefined) return plain;
  const d = new Date(v.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));
  return Number.isNaN(d.getTime()) ? v : d.toISOString();
}

const isDigit = (c: number) => c >= 48 && c <= 57;
/** Which positions of `YYYY-MM-DD HH:MM:SS` hold digits (the others: '-', ' ' or 'T', ':'). */
const DIGIT_AT = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];

/**
 * `YYYY-MM-DD[ T]HH:MM:SS[.f…][+00|Z]` (one to six fraction digits: what
 * `/^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?(?:\+00|Z)?$/` matches) → its ISO form;
 * undefined for anything else (the caller's general path). Checked by position, without a regular
 * expression: a match array and its captures per value were half of what a page of 200 rows
 * allocated in decoding (bench Q2). test/unit/decode.test.ts holds it to that expression.
 */
function plainUtcTimestamp(v: string): string | undefined {
  const n = v.length;
  if (n < 19 || n > 29) return undefined;
  for (const i of DIGIT_AT) if (!isDigit(v.charCodeAt(i))) return undefined;
  const sep = v.charCodeAt(10);
  if (v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45 || (sep !== 32 && sep !== 84) || v.charCodeAt(13) !== 58 || v.charCodeAt(16) !== 58) return undefined;
  let i = 19;
  let digits = 0;
  if (i < n && v.charCodeAt(i) === 46) {
    i++;
    while (i < n && isDigit(v.charCodeAt(i))) i++;
    digits = i - 20;
    if (digits < 1 || digits > 6) return undefined;
  }
  const rest = n - i;
  if (!(rest === 0 || (rest === 1 && v.charCodeAt(i) === 90) || (rest === 3 && v.charCodeAt(i) === 43 && v.charCodeAt(i + 1) === 48 && v.charCodeAt(i + 2) === 48))) return undefined;
  const date = v.slice(0, 10);
  const time = v.slice(11, 19);
  if (digits === 3 || digits === 6) return `${date}T${time}${v.slice(19, 20 + digits)}Z`;
  return `${date}T${time}.${v.slice(20, 20 + digits).padEnd(digits > 3 ? 6 : 3, '0')}Z`;
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

export const decoders: Record<FieldType, Decoder | null> = {
  ID: (v) => (typeof v === 'string' ? v : String(v)),
  String: (v) => (typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : String(v)),
  Int: (v) => (typeof v === 'number' ? v : Number(v)),
  Float: (v) => (typeof v === 'number' ? v : Number(v)),
  BigInt: (v) => (typeof v === 'string' ? v : String(v)),
  Decimal: (v) => (typeof v === 'string' ? v : String(v)),
  Boolean: (v) => (typeof v === 'boolean' ? v : v === 1 || v === '1' || v === 1n || (Buffer.isBuffer(v) && v[0] === 1) || v === 't' || v === 'true'),
  DateTime: (v) => {
    if (v instanceof Date) return v.toISOString();
    const s = String(v);
    // Only a text ending in Z can be ISO UTC already: PostgreSQL's (`+00`) and MySQL's (no zone) skip the expression.
    if (s.charCodeAt(s.length - 1) === 90 && ISO_UTC.test(s)) return s;
    // Text without a zone (SQLite, MySQL in a UTC session) is UTC.
    const plain = plainUtcTimestamp(s);
    if (plain !== undefined) return plain;
    const d = new Date(s);
    return Number.isNaN(d.getTime()) ? s : d.toISOString();
  },
  Date: (v) => {
    if (v instanceof Date) return `${v.getUTCFullYear()}-${pad(v.getUTCMonth() + 1)}-${pad(v.getUTCDate())}`;
    return String(v).slice(0, 10);
  },
  JSON: (v) => {
    if (typeof v !== 'string') return Buffer.isBuffer(v) ? JSON.parse(v.toString('utf8')) : v;
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  },
};

/**
 * Builds, once per (entity, field list), a function that decodes rows in place; null when no field
 * needs it. `needed`: the types this engine's driver may return in a form the GraphQL scalars'
 * own serialisation does not turn into the canonical value (all types when omitted).
 */
export function createRowDecoder(entity: Entity, fields: readonly string[], needed?: ReadonlySet<FieldType>): ((row: Row) => Row) | null {
  const steps: [string, Decoder][] = [];
  for (const f of fields) {
    const field = entity.fields.get(f)!;
    const d = fieldDecoder(field);
    if (d && (!needed || needed.has(field.type))) steps.push([f, d]);
  }
  if (steps.length === 0) return null;
  return (row) => {
    for (const [f, d] of steps) {
      const v = row[f];
      if (v !== null && v !== undefined) row[f] = d(v);
    }
    return row;
  };
}

/** A field's decoder: its type's, or for a Decimal with a scale, one that prints doubles with it. */
function fieldDecoder(field: Field): Decoder | null {
  return field.scale !== undefined ? decimalWithScale(field.scale) : decoders[field.type];
}

/** A Decimal an engine returned as a double (SQLite) printed with the model's scale: 42.5 → "42.50". */
export function decimalWithScale(scale: number): Decoder {
  return (v) => (typeof v === 'number' ? v.toFixed(scale) : typeof v === 'string' ? v : String(v));
}

/** Aggregate values: counts as numbers, sums and averages exact (strings) unless the field is Float. */
export function decodeAggregate(fn: string, type: FieldType | undefined, v: unknown, scale?: number): unknown {
  if (v === null || v === undefined) return null;
  if (fn === 'count' || fn === 'countDistinct') return Number(v);
  if (scale !== undefined && type === 'Decimal' && fn !== 'avg') return decimalWithScale(scale)(v);
  if (fn === 'min' || fn === 'max') return decoders[type!]!(v);
  if (type === 'Float' || (fn === 'avg' && type === 'Int')) return Number(v);
  return typeof v === 'string' ? v : String(v);
}

/**
 * Decodes, in place, the related rows a statement read inside its parents' rows (SelectPlan.nested):
 * each parent's `alias` holds JSON arrays of cells (fields, flags, nested relationships, in that order:
 * sql/compile.ts), which become rows keyed by field name, every field through its type's decoder
 * (the engine sends as text what JSON would not keep exact). Built once per statement shape; null
 * when the plan has no nested relationship. `list`: how the engine sends a to-many relationship
 * (NestedList): a JSON array of rows, or `[count, [rows…]]`, checked to hold every row it should.
 * JSON that arrives as text (MariaDB's) is parsed first.
 */
export function createNestedDecoder(nested: readonly NestedSelect[] | undefined, list: NestedList['kind'] = 'subquery'): ((row: Row) => void) | null {
  if (!nested?.length) return null;
  const steps = nested.map((n) => [n, relatedRowsDecoder(n, list === 'aggregate')] as const);
  return (row) => {
    for (const [n, decode] of steps) {
      const v = row[n.alias];
      row[n.alias] = decode(typeof v === 'string' ? parseCut(v, n) : v);
    }
  };
}

/** JSON text of related rows; text that does not parse was cut by the server (NestedList `aggregate`). */
function parseCut(text: string, n: NestedSelect): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw truncated(n);
  }
}

/** Related rows that the server cut short (NestedList `aggregate`): refused, never answered as if complete. */
function truncated(n: NestedSelect): DatagateError {
  const source = n.plan.entity.source;
  return new DatagateError(
    ErrorCode.SOURCE_QUERY_FAILED,
    `source "${source}" cut the ${n.plan.entity.name} rows read with their parents short (more than its max_allowed_packet in one row): ask for fewer rows or fields, or set nestedRows: false on source "${source}"`,
    { source },
  );
}

function relatedRowsDecoder(n: NestedSelect, counted: boolean): (v: unknown) => unknown {
  const { plan } = n;
  const names: string[] = [];
  const cell: (Decoder | null)[] = [];
  for (const f of plan.fields) {
    names.push(f);
    cell.push(fieldDecoder(plan.entity.fields.get(f)!));
  }
  for (const c of plan.computed ?? []) {
    names.push(c.alias);
    cell.push(null);
  }
  for (const inner of plan.nested ?? []) {
    names.push(inner.alias);
    cell.push(relatedRowsDecoder(inner, counted));
  }
  const width = names.length;
  const toRow = (cells: unknown[]): Row => {
    const row: Row = {};
    for (let i = 0; i < width; i++) {
      const v = cells[i];
      const d = cell[i];
      row[names[i]] = v === null || v === undefined ? null : d ? d(v) : v;
    }
    return row;
  };
  if (!counted) {
    if (!n.relationship.many) return (v) => (Array.isArray(v) ? toRow(v) : null);
    return (v) => (Array.isArray(v) ? (v as unknown[][]).map(toRow) : []);
  }
  // `[count, [rows…] | null]`, never NULL itself, and no row NULL: MariaDB sends NULL for a JSON value past its packet size.
  const many = n.relationship.many;
  const offset = many ? (plan.offset ?? 0) : 0;
  const limit = many ? (plan.limit ?? Infinity) : 1;
  return (v) => {
    if (!Array.isArray(v)) throw truncated(n);
    const [count, rows] = v as [number, unknown[][] | null];
    const expected = Math.min(Math.max(Number(count) - offset, 0), limit);
    const got = Array.isArray(rows) ? rows : [];
    if (got.length !== expected) throw truncated(n);
    // A row past the packet size is a NULL element.
    for (const r of got) if (!Array.isArray(r)) throw truncated(n);
    return many ? got.map(toRow) : got.length ? toRow(got[0]) : null;
  };
}
