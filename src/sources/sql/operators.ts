import type { Knex } from 'knex';
import type { Entity, Field } from '../../model';
import type { Condition } from '../../planning';
import { bindValue } from './params';
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
