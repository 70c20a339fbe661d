import type { Registry } from '../model';
import { createRoleAbility, everyRow, grants, uniform, type RoleAbility } from './abilities';
import { MASK_KINDS, type EntityView, type FieldView, type MaskKind, type PolicyMask, type PolicySet, type RoleSetView } from './types';

/**
 * What a set of roles may read, per entity and field, from the rules' structure alone (placeholders
 * unfilled): this shapes the role set's GraphQL schema. Roles OR together: an entity is readable when
 * some role reads it, a field when some role reads it, in clear when no role that reads it masks it.
 */
export function buildRoleSetView(policies: PolicySet, registry: Registry, roleNames: readonly string[]): RoleSetView {
  const roles = [...new Set(roleNames)].filter((r) => policies.roles.has(r)).sort();
  const abilities = new Map<string, RoleAbility>(roles.map((r) => [r, createRoleAbility(policies.roles.get(r)!.rules)]));
  const maskOf = (role: string, entity: string, field: string): PolicyMask | undefined => policies.roles.get(role)!.masks.get(entity)?.get(field);
  const entities = new Map<string, EntityView>();

  for (const entity of registry.entities.values()) {
    const S = entity.name;
    const reading = roles.filter((r) => grants(abilities.get(r)!, 'read', S));
    const fields = new Map<string, FieldView>();
    for (const f of entity.fields.values()) {
      const readers = reading.filter((r) => grants(abilities.get(r)!, 'read', S, f.name));
      if (!readers.length) continue;
      // Readable on every readable row: each reading role reads it wherever it reads the entity, or some
      // role reads it on every row of the table (a grant of one field must not make the others partial).
      const isUniform = reading.every((r) => uniform(abilities.get(r)!, 'read', S, f.name)) || readers.some((r) => everyRow(abilities.get(r)!, 'read', S, f.name));
      const masks = readers.map((r) => maskOf(r, S, f.name));
      const maskMode = masks.every((m) => !m) ? 'none' : masks.every((m) => m && !m.unless) ? 'always' : 'conditional';
      const kinds = masks.flatMap((m) => (m ? [m.kind] : []));
      const mask = kinds.length ? MASK_KINDS.find((k: MaskKind) => kinds.includes(k))! : null;
      fields.set(f.name, Object.freeze({ name: f.name, uniform: isUniform, maskMode, mask, nullable: f.nullable || !isUniform || mask === 'null' }));
    }
    const clear = new Set([...fields.values()].filter((v) => v.uniform && v.maskMode === 'none').map((v) => v.name));

    const aggregating = roles.filter((r) => grants(abilities.get(r)!, 'aggregate', S));
    const aggregate = aggregating.length
      ? new Set(
          [...entity.fields.values()]
            .filter((f) => f.type !== 'JSON')
            .filter((f) => aggregating.every((r) => grants(abilities.get(r)!, 'aggregate', S, f.name) && uniform(abilities.get(r)!, 'aggregate', S, f.name) && !maskOf(r, S, f.name)))
            .map((f) => f.name),
        )
      : null;

    const caps = reading.map((r) => policies.roles.get(r)!.maxRows.get(S) ?? policies.roles.get(r)!.maxRows.get('*'));
    const maxRows = caps.length && caps.every((c) => c !== undefined) ? Math.max(...(caps as number[])) : undefined;
    entities.set(S, { entity, read: reading.length > 0, fields, clear, relationships: [], aggregate, maxRows });
  }
  // A relationship is followed only into a readable target, and only when the join fields on both
  // sides are read in clear: otherwise the relationship itself would tell what a hidden column holds
  // (which customer a hidden Order.customer_id names).
  for (const v of entities.values()) {
    if (!v.read) continue;
    (v as { relationships: EntityView['relationships'] }).relationships = [...v.entity.relationships.values()].filter((rel) => {
      const t = entities.get(rel.target)!;
      return t.read && rel.on.every(([local, remote]) => v.clear.has(local) && t.clear.has(remote));
    });
  }
  return Object.freeze({ key: roles.join('+'), roles, entities });
}
