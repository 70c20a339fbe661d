import type { Knex } from 'knex';
import type { Entity, Field } from '../../model';
import type { Condition } from '../../planning';
import { bindValue, isLargeKeySet } from './params';
import type { SqlDialect } from './SqlDialect';

/** The table alias and entity a condition is evaluated against. */
export interface Scope {
  readonly alias: string;
  readonly entity: Entity;
}

export interface CompileContext {
  readonly dialect: SqlDialect;
  /** Hands out fresh table aliases (t0, t1, …) for subqueries. */
  nextAlias(): string;
}

type Node<K extends Condition['kind']> = Extract<Condition, { kind: K }>;
type Op<K extends Condition['kind']> = (b: Knex.QueryBuilder, node: Node<K>, scope: Scope, ctx: CompileContext) => void;

/** One small function per condition kind; dialects override the few that differ. */
export type OperatorTable = { readonly [K in Condition['kind']]: Op<K> };

export function ref(scope: Scope, fieldName: string): string {
  return `${scope.alias}.${field(scope, fieldName).column}`;
}

export function field(scope: Scope, name: string): Field {
  const f = scope.entity.fields.get(name);
  if (!f) throw new Error(`${scope.entity.name} has no field ${name}`);
  return f;
}

const SQL_COMPARE = { eq: '=', neq: '<>', lt: '<', lte: '<=', gt: '>', gte: '>=' } as const;

export function applyCondition(b: Knex.QueryBuilder, node: Condition, scope: Scope, ctx: CompileContext): void {
  const op = ctx.dialect.operators[node.kind] as Op<typeof node.kind>;
  op(b, node as never, scope, ctx);
}

function sub(node: Condition, scope: Scope, ctx: CompileContext) {
  return function (this: Knex.QueryBuilder) {
    applyCondition(this, node, scope, ctx);
  };
}

/** Length of a key set, whether it is the real list or the Param standing for it. */
export function listLength(values: unknown): number {
  return (values as { length: number }).length;
}

/** A key set above LIST_PARAM_THRESHOLD, which engines without array parameters send as one parameter. */
export function isLargeList(values: unknown): boolean {
  return isLargeKeySet(listLength(values));
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** JSON text that JSON.stringify cannot write exactly: an integer beyond 2^53, as raw digits. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** One value of a key set, as JSON: a JS value JSON.stringify writes, or raw text. */
export type JsonCell = string | number | boolean | null | RawJson;

/**
 * An integer key (number, bigint or decimal digits) as an exact JSON number: a JS number up to
 * 2^53, raw digits beyond; undefined if it is no 64-bit integer.
 */
export function int64Json(v: unknown): number | RawJson | undefined {
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) return v;
    if (!Number.isInteger(v)) return undefined;
    v = BigInt(v);
  } else if (typeof v === 'string') {
    if (/^[+-]?\d{1,15}$/.test(v)) return Number(v);
    if (!/^[+-]?\d+$/.test(v)) return undefined;
    v = BigInt(v);
  }
  if (typeof v !== 'bigint' || v < INT64_MIN || v > INT64_MAX) return undefined;
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : new RawJson(v.toString());
}

/**
 * A key set as the text of one JSON array, built at bind time: `[v, …]` for one column,
 * `[[a, b], …]` for several. JSON.stringify writes it unless a cell is raw text.
 */
export function jsonKeySet(list: readonly (readonly unknown[])[], columns: number, cell: (col: number, v: unknown) => JsonCell): string {
  const rows: (JsonCell | JsonCell[])[] = new Array(list.length);
  let raw = false;
  for (let row = 0; row < list.length; row++) {
    const key = list[row];
    if (columns === 1) {
      const c = cell(0, key[0]);
      raw ||= c instanceof RawJson;
      rows[row] = c;
    } else {
      const cells: JsonCell[] = new Array(columns);
      for (let col = 0; col < columns; col++) {
        const c = cell(col, key[col]);
        raw ||= c instanceof RawJson;
        cells[col] = c;
      }
      rows[row] = cells;
    }
  }
  if (!raw) return JSON.stringify(rows);
  const text = (c: JsonCell) => (c instanceof RawJson ? c.text : JSON.stringify(c));
  return `[${rows.map((r) => (Array.isArray(r) ? `[${r.map(text).join(',')}]` : text(r))).join(',')}]`;
}

/** `??` for one column, `(??, ??)` for several, with the refs to bind. */
export function columnsSql(scope: Scope, fields: readonly string[]): { sql: string; refs: string[] } {
  const refs = fields.map((f) => ref(scope, f));
  return { sql: refs.length === 1 ? '??' : `(${refs.map(() => '??').join(', ')})`, refs };
}

/** Column = key for single columns, OR of ANDs for composite keys; one bound value per element. */
export function genericKeySet(b: Knex.QueryBuilder, node: Node<'in'>, scope: Scope, ctx: CompileContext): void {
  const { fields, values, negate } = node;
  const types = fields.map((f) => field(scope, f).type);
  const n = listLength(values);
  const at = (row: number, col: number) => bindValue(values, (list) => ctx.dialect.encode(types[col], (list as unknown[][])[row][col]));
  if (fields.length === 1) {
    const vals = Array.from({ length: n }, (_, row) => at(row, 0));
    if (negate) b.whereNotIn(ref(scope, fields[0]), vals as readonly string[]);
    else b.whereIn(ref(scope, fields[0]), vals as readonly string[]);
    return;
  }
  const tuples = function (this: Knex.QueryBuilder) {
    for (let row = 0; row < n; row++)
      this.orWhere(function () {
        fields.forEach((f, col) => this.where(ref(scope, f), at(row, col) as never));
      });
  };
  if (negate) b.whereNot(tuples);
  else b.where(tuples);
}

export const baseOperators: OperatorTable = {
  true: () => {},
  false: (b) => {
    b.whereRaw('1 = 0');
  },
  and: (b, n, s, c) => {
    // An `or` item groups itself; anything else gets its own parentheses.
    for (const item of n.items) if (item.kind === 'or') applyCondition(b, item, s, c);
    else b.where(sub(item, s, c));
  },
  or: (b, n, s, c) => {
    if (n.items.length === 0) b.whereRaw('1 = 0');
    else
      b.where(function () {
        for (const item of n.items) this.orWhere(sub(item, s, c));
      });
  },
  not: (b, n, s, c) => {
    b.whereNot(sub(n.item, s, c));
  },
  compare: (b, n, s, c) => {
    const type = field(s, n.field).type;
    b.where(ref(s, n.field), SQL_COMPARE[n.op], bindValue(n.value, (v) => c.dialect.encode(type, v)) as never);
  },
  in: genericKeySet,
  isNull: (b, n, s) => {
    if (n.isNull) b.whereNull(ref(s, n.field));
    else b.whereNotNull(ref(s, n.field));
  },
  like: (b, n, s) => {
    if (n.caseInsensitive) b.whereRaw('lower(??) like lower(?)', [ref(s, n.field), bindValue(n.pattern) as string]);
    else b.whereRaw('?? like ?', [ref(s, n.field), bindValue(n.pattern) as string]);
  },
  related: (b, n, s, c) => {
    const alias = c.nextAlias();
    const inner: Scope = { alias, entity: n.target };
    b.whereExists(function () {
      this.select(c.dialect.builder.raw('1')).from({ [alias]: tableName(n.target) });
      for (const [local, remote] of n.relationship.on) this.whereRaw('?? = ??', [ref(inner, remote), ref(s, local)]);
      applyCondition(this, n.where, inner, c);
    });
  },
};

export function tableName(entity: Entity): string {
  return entity.schema ? `${entity.schema}.${entity.table}` : entity.table;
}
