import type { User } from '../identity';
import type { Entity, Registry } from '../model';
import { and, FALSE, or, TRUE, type Condition } from '../planning';
import { createRoleAbility, conditionFor, queryCondition, type RoleAbility } from './abilities';
import { BadValue } from './coerce';
import { interpolate, MissingValue, userLookup } from './interpolate';
import type { EntityAccess, FieldFlags, PolicySet, RoleSetView } from './types';

/** One user's access under one role set: conditions with the user's attributes filled in, per entity on first use. */
export interface UserAccess {
  /** The first user these conditions were built for; any user with the same roles, id and attributes shares them. */
  readonly user: User;
  readonly view: RoleSetView;
  entity(name: string): EntityAccess;
  /** Per role, for explanations. */
  readonly abilities: ReadonlyMap<string, RoleAbility>;
}

export const visibleAlias = (field: string) => `__dg_v_${field}`;
export const clearAlias = (field: string) => `__dg_c_${field}`;

export function createUserAccess(policies: PolicySet, registry: Registry, view: RoleSetView, user: User): UserAccess {
  const lookup = userLookup(user, view.roles);
  const abilities = new Map(view.roles.map((r) => [r, createRoleAbility(policies.roles.get(r)!.rules, lookup)]));
  const cache = new Map<string, EntityAccess>();

  /** A mask's `unless`: where the value stays in clear. No value for a placeholder: nowhere. */
  const unlessOf = (role: string, entity: Entity, field: string): Condition => {
    const m = policies.roles.get(role)!.masks.get(entity.name)?.get(field);
    if (!m) return TRUE;
    if (!m.unless) return FALSE;
    try {
      return queryCondition(registry, entity, interpolate(m.unless as Record<string, unknown>, lookup));
    } catch (e) {
      if (e instanceof MissingValue || e instanceof BadValue) return FALSE;
      throw e;
    }
  };

  const build = (name: string): EntityAccess => {
    const ev = view.entities.get(name)!;
    const entity = ev.entity;
    const row = or(...view.roles.map((r) => conditionFor(registry, abilities.get(r)!, 'read', entity)));
    const aggregate = ev.aggregate ? or(...view.roles.map((r) => conditionFor(registry, abilities.get(r)!, 'aggregate', entity))) : FALSE;
    const flags = new Map<string, FieldFlags>();
    for (const fv of ev.fields.values()) {
      if (fv.uniform && fv.maskMode !== 'conditional') continue;
      const perRole = view.roles.map((r) => ({ r, c: conditionFor(registry, abilities.get(r)!, 'read', entity, fv.name) }));
      const f: { visible?: FieldFlags['visible']; clear?: FieldFlags['clear'] } = {};
      if (!fv.uniform) f.visible = { alias: visibleAlias(fv.name), condition: or(...perRole.map((p) => p.c)) };
      if (fv.maskMode === 'conditional') f.clear = { alias: clearAlias(fv.name), condition: or(...perRole.map((p) => and(p.c, unlessOf(p.r, entity, fv.name)))) };
      flags.set(fv.name, f);
    }
    return Object.freeze({ view: ev, row, aggregate, flags });
  };

  return {
    user,
    view,
    abilities,
    entity(name) {
      let a = cache.get(name);
      if (!a) cache.set(name, (a = build(name)));
      return a;
    },
  };
}

