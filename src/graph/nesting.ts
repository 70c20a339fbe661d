import { getArgumentValues, getNamedType, isObjectType, type FieldNode, type GraphQLField, type GraphQLObjectType, type GraphQLOutputType, type GraphQLResolveInfo } from 'graphql';
import type { Entity, Relationship } from '../model';
import { mapRelated, TRUE, type Condition, type NestedSelect, type SelectPlan } from '../planning';
import type { Row } from '../sources';
import { relatedRows } from './columns';
import type { ReadUnder, RequestContext } from './context';
import { noteReadUnder, provenBy } from './proof';
import { subSelection, type Selection } from './selection';

/**
 * Relationships read inside their parents' statement, as Hasura and PostGraphile do: on an engine
 * that can (Capabilities.nestedRows), a selected relationship whose target lives in the same source
 * becomes a correlated subquery of the parents' statement that returns the related rows as JSON
 * (SelectPlan.nested; sql/compile.ts), instead of a second statement after the parents' rows are
 * back. The related rows are read under exactly the conditions their own load would have had: the
 * target's policy and retention, the field's `where`, order and page; the relationship's resolver
 * then answers from the parent row (resolvers.ts), and masks apply in the field resolvers as always.
 *
 * A relationship is left to its own load (graph/loaders.ts) whenever folding it in would change
 * anything but the number of statements: a target in another source, a condition that needs a
 * lookup in another source (one its parents do not prove, graph/proof.ts), arguments that do not
 * parse (its resolver then reports the error at its own path), or more cells than the engine builds.
 */

/** Where a parent row carries the related rows of the relationship field at response key `key`. */
export const nestedAlias = (key: string): string => `__dg_${key}`;
const PREFIX_LENGTH = nestedAlias('').length;
/** PostgreSQL keeps 63 bytes of an identifier: a longer alias would not come back as written (GraphQL names are ASCII). */
const MAX_ALIAS = 63;

type Info = Pick<GraphQLResolveInfo, 'fragments' | 'variableValues'>;

/**
 * The selected relationships of `entity` (the rows of a statement read under `read`) that the
 * statement can read itself; undefined when none. `type`: the GraphQL type of those rows.
 */
export function nestedSelects(ctx: RequestContext, entity: Entity, type: GraphQLOutputType, sel: Selection, info: Info, read: ReadUnder): NestedSelect[] | undefined {
  const caps = ctx.runtime.sources.get(entity.source)?.capabilities.nestedRows;
  const object = getNamedType(type);
  if (!caps || !(ctx.runtime.sourceConfigs[entity.source]?.nestedRows ?? caps.byDefault) || !isObjectType(object)) return undefined;
  let out: NestedSelect[] | undefined;
  for (const [name, nodes] of sel) {
    const rel = entity.relationships.get(name);
    if (!rel) continue;
    const target = ctx.runtime.registry.entities.get(rel.target);
    if (!target || target.source !== entity.source) continue;
    const field = (object as GraphQLObjectType).getFields()[name];
    if (!field) continue;
    for (const [key, group] of byResponseKey(nodes)) {
      const n = nestedSelect(ctx, rel, target, field, key, group, info, read, caps.maxCells);
      if (n) (out ??= []).push(n);
    }
  }
  return out;
}

function nestedSelect(
  ctx: RequestContext,
  rel: Relationship,
  target: Entity,
  field: GraphQLField<unknown, unknown>,
  key: string,
  nodes: readonly FieldNode[],
  info: Info,
  read: ReadUnder,
  maxCells: number,
): NestedSelect | undefined {
  const alias = nestedAlias(key);
  if (alias.length > MAX_ALIAS) return undefined;
  const sel = subSelection(nodes, info);
  let q: ReturnType<typeof relatedRows>;
  try {
    // What relationshipResolver would plan for this field (the same arguments, coerced the same way).
    q = relatedRows(ctx, rel, target, getArgumentValues(field, nodes[0], info.variableValues), sel);
  } catch {
    return undefined;
  }
  const where = withoutProven(q.where, read, rel);
  const computed = q.computed?.map((f) => ({ alias: f.alias, condition: withoutProven(f.condition, read, rel) }));
  if (crossesSources(where, target.source) || computed?.some((c) => crossesSources(c.condition, target.source))) return undefined;
  const nested = nestedSelects(ctx, target, field.type, sel, info, { entity: target, where });
  if (q.fields.length + (computed?.length ?? 0) + (nested?.length ?? 0) > maxCells) return undefined;
  const plan: SelectPlan = { kind: 'select', entity: target, fields: q.fields, where, orderBy: q.orderBy, limit: q.limit, offset: q.offset, ...(computed ? { computed } : {}), ...(nested ? { nested } : {}) };
  return { alias, relationship: rel, plan };
}

/** Field nodes by response key (alias or name): graphql-js resolves each key once per parent, with its own arguments. */
function byResponseKey(nodes: readonly FieldNode[]): Map<string, FieldNode[]> {
  const out = new Map<string, FieldNode[]>();
  for (const n of nodes) {
    const key = n.alias?.value ?? n.name.value;
    const g = out.get(key);
    if (g) g.push(n);
    else out.set(key, [n]);
  }
  return out;
}

/** `related` conditions that the parents' own condition proves for every related row (graph/proof.ts) become TRUE. */
function withoutProven(c: Condition, read: ReadUnder, via: Relationship): Condition {
  return mapRelated(c, (r) => (provenBy(read, via, r) ? TRUE : r));
}

/** Whether a condition needs rows of another source (a key lookup before the statement: execute.ts). */
function crossesSources(c: Condition, source: string): boolean {
  switch (c.kind) {
    case 'and':
    case 'or':
      return c.items.some((i) => crossesSources(i, source));
    case 'not':
      return crossesSources(c.item, source);
    case 'related':
      return c.target.source !== source || crossesSources(c.where, source);
    default:
      return false;
  }
}

/** Where the rows a statement's nested relationships were read for sit, and how many of them reached the answer. */
export interface NestedRowsAt {
  /** Response path of the parent rows (`customers`, or a connection's `ordersConnection.edges.node`). */
  readonly at: string;
  /** Path of the statement's own lineage entry (`customers`, `ordersConnection`). */
  readonly statement: string;
  /** Parents that reached the answer, when fewer than read (a connection reads one row past its page). */
  readonly page?: number;
  readonly cachedAgeMs?: number;
  readonly sharedRequests?: number;
}

/**
 * Lineage and audit of the related rows a statement read inside its rows: one trace per nested
 * relationship (at `at.key`), with the rows it read and those that reached the answer, marked as read
 * by the statement whose entry is at `statement`. Each level's condition is recorded for the proofs
 * of the loads below it (graph/proof.ts).
 */
export function traceNested(ctx: RequestContext, source: string, nested: readonly NestedSelect[], rows: readonly Row[], where: NestedRowsAt): void {
  const page = where.page !== undefined && where.page < rows.length ? where.page : rows.length;
  for (const n of nested) {
    const at = `${where.at}.${n.alias.slice(PREFIX_LENGTH)}`;
    const related: Row[] = [];
    let returned = 0;
    for (let i = 0; i < rows.length; i++) {
      const v = rows[i][n.alias];
      if (Array.isArray(v)) for (const x of v as Row[]) related.push(x);
      else if (v) related.push(v as Row);
      if (i === page - 1) returned = related.length;
    }
    const plan = n.plan;
    noteReadUnder(ctx, at, plan);
    ctx.trace.push({
      source,
      entity: plan.entity.name,
      table: plan.entity.table,
      fields: plan.fields,
      kind: 'select',
      rows: related.length,
      ms: 0,
      path: at,
      readWith: where.statement,
      returned: page < rows.length ? returned : undefined,
      cachedAgeMs: where.cachedAgeMs,
      sharedRequests: where.sharedRequests,
    });
    if (plan.nested)
      traceNested(ctx, source, plan.nested, page < rows.length ? related.slice(0, returned) : related, {
        at,
        statement: where.statement,
        cachedAgeMs: where.cachedAgeMs,
        sharedRequests: where.sharedRequests,
      });
  }
}
