import type { Entity } from '../model';
import type { ComputedFlag } from '../planning';
import type { EntityAccess } from '../policy';
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
