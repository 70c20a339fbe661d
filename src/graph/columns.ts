import type { Entity, Relationship } from '../model';
import type { ComputedFlag, SelectPlan } from '../planning';
import type { EntityAccess } from '../policy';
import { parseListArgs } from './args';
import { readableRows, type RequestContext } from './context';
import type { Selection } from './selection';

/** Columns one level needs: the selected fields, the key, and the local side of selected relationships. */
export function fieldsFor(entity: Entity, sel: Selection, extra: readonly string[] = []): string[] {
  const out = new Set<string>([entity.key, ...extra]);
  for (const name of sel.keys()) {
    if (entity.fields.has(name)) out.add(name);
    else {
      const rel = entity.relationships.get(name);
      if (rel) for (const [local] of rel.on) out.add(local);
    }
  }
  return [...out];
}

/** The per-row policy flags of the selected fields that need them (readable or clear on some rows only). */
export function flagsFor(ea: EntityAccess, sel: Selection): ComputedFlag[] | undefined {
  if (ea.flags.size === 0) return undefined;
  const out: ComputedFlag[] = [];
  for (const name of sel.keys()) {
    const f = ea.flags.get(name);
    if (f?.visible) out.push(f.visible);
    if (f?.clear) out.push(f.clear);
  }
  return out.length ? out : undefined;
}

/**
 * What a relationship field reads for each parent, whether by its own load (graph/loaders.ts) or in
 * its parents' statement (graph/nesting.ts): the target's own policy and retention (and, for a list,
 * the field's where, order and page), the selected fields with the join's target side, and the
 * per-row flags. Throws what parseListArgs throws for bad arguments.
 */
export function relatedRows(ctx: RequestContext, rel: Relationship, target: Entity, args: Record<string, unknown>, sel: Selection): Pick<SelectPlan, 'fields' | 'where' | 'orderBy' | 'limit' | 'offset' | 'computed'> {
  const a = rel.many ? parseListArgs(ctx, target, args) : undefined;
  return {
    fields: fieldsFor(target, sel, rel.on.map(([, r]) => r)),
    where: a?.where ?? readableRows(ctx, target),
    orderBy: a?.orderBy ?? [],
    limit: a?.limit,
    offset: a?.offset,
    computed: flagsFor(ctx.access.entity(target.name), sel),
  };
}
