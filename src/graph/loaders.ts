import DataLoader from 'dataloader';
import type { Entity, Relationship } from '../model';
import type { SelectPlan } from '../planning';
import type { Row } from '../sources';
import type { RequestContext } from './context';
import { runPlan } from './execute';

/** The plan of the related rows, less the parents' keys, which the loader's batch supplies. */
export interface RelationshipQuery extends Pick<SelectPlan, 'fields' | 'where' | 'orderBy' | 'limit' | 'offset' | 'computed' | 'nested'> {
  readonly relationship: Relationship;
  readonly target: Entity;
  /** Identifies (arguments, selected fields) so that differently shaped loads never share a loader. */
  readonly signature: string;
  /** Response path of the field occurrence (`customers.orders`): lineage names where the rows went. */
  readonly path: string;
}

/** String form of a join key, so 5, "5" and 5n group together whatever each driver returned. */
export function keyString(values: readonly unknown[]): string {
  return values.length === 1 ? String(values[0]) : JSON.stringify(values.map((v) => String(v)));
}

/**
 * One loader per (relationship, arguments, fields) per request: every parent row of one
 * level asks it, and it sends one query for the whole batch (`partition` = the parents' keys).
 * Contract: results match keys in length and order.
 */
export function relationshipLoader(ctx: RequestContext, q: RelationshipQuery): DataLoader<unknown, Row[] | Row | null, string> {
  // The path is part of the identity: two occurrences at different paths send a statement each, so
  // that each statement's lineage names the one place its rows went.
  const id = `${q.relationship.from}.${q.relationship.name}|${q.path}|${q.signature}`;
  let loader = ctx.loaders.get(id);
  if (loader) return loader;
  const remote = q.relationship.on.map(([, r]) => r);
  loader = new DataLoader<unknown, Row[] | Row | null, string>(
    async (keys) => {
      const tuples = keys.map((k) => k as unknown[]);
      const plan: SelectPlan = {
        kind: 'select',
        entity: q.target,
        fields: q.fields,
        computed: q.computed,
        nested: q.nested,
        where: q.where,
        orderBy: q.orderBy,
        limit: q.relationship.many ? q.limit : undefined,
        offset: q.relationship.many ? q.offset : undefined,
        partition: { fields: remote, keys: tuples },
      };
      const rows = await runPlan(ctx, plan, { path: q.path, parent: { path: parentPath(q.path), relationship: q.relationship } });
      const groups = new Map<string, Row[]>();
      for (const r of rows) {
        const k = keyString(remote.map((f) => r[f]));
        const g = groups.get(k);
        if (g) g.push(r);
        else groups.set(k, [r]);
      }
      return tuples.map((t) => {
        const g = groups.get(keyString(t));
        return q.relationship.many ? (g ?? []) : (g?.[0] ?? null);
      });
    },
    { cacheKeyFn: (k) => keyString(k as unknown[]), maxBatchSize: 10_000, name: id },
  );
  ctx.loaders.set(id, loader);
  return loader;
}

/** `customers.orders` → `customers`: where the rows whose keys a relationship's load takes sit. */
function parentPath(path: string): string {
  const dot = path.lastIndexOf('.');
  return dot < 0 ? '' : path.slice(0, dot);
}
