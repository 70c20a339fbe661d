import { randomBytes } from 'node:crypto';
import { DatagateError, ErrorCode } from '../errors';
import type { User } from '../identity';
import type { FieldType, Registry } from '../model';
import { createUserAccess, type UserAccess } from './access';
import { createMask, type MaskFn } from './masks';
import type { MaskKind, PolicySet, RoleSetView } from './types';
import { buildRoleSetView } from './views';

export interface PolicyEngine {
  readonly policies: PolicySet;
  /** The roles a request runs as: the user's roles that have a policy, or the one `requested` (which it must hold). */
  rolesFor(user: User, requested?: string): string[];
  view(roles: readonly string[]): RoleSetView;
  access(user: User, roles: readonly string[]): UserAccess;
  mask(kind: MaskKind, type: FieldType): MaskFn;
}

/** Small LRU on a Map's insertion order. */
function lru<V>(max: number) {
  const m = new Map<string, V>();
  return {
    get(k: string): V | undefined {
      const v = m.get(k);
      if (v !== undefined) {
        m.delete(k);
        m.set(k, v);
      }
      return v;
    },
    set(k: string, v: V) {
      if (m.size >= max) m.delete(m.keys().next().value!);
      m.set(k, v);
    },
  };
}

export function createPolicyEngine(policies: PolicySet, registry: Registry, opts: { maskSecret?: string } = {}): PolicyEngine {
  const secret = opts.maskSecret ? Buffer.from(opts.maskSecret) : randomBytes(32);
  const views = lru<RoleSetView>(256);
  const accesses = lru<UserAccess>(5000);
  const masks = new Map<string, MaskFn>();

  const view = (roles: readonly string[]) => {
    const key = [...new Set(roles)].sort().join('+');
    let v = views.get(key);
    if (!v) views.set(key, (v = buildRoleSetView(policies, registry, roles)));
    return v;
  };

  return {
    policies,
    rolesFor(user, requested) {
      if (requested !== undefined) {
        if (!user.roles.includes(requested))
          throw new DatagateError(ErrorCode.FORBIDDEN, `the role "${requested}" is not one of this token's roles (${user.roles.join(', ') || 'none'})`);
        return policies.roles.has(requested) ? [requested] : [];
      }
      return user.roles.filter((r) => policies.roles.has(r));
    },
    view,
    access(user, roles) {
      const v = view(roles);
      // Conditions depend on the user's id, roles and attributes only: users alike share one.
      const key = `${v.key}\u0000${user.id ?? ''}\u0000${JSON.stringify(user.attributes)}`;
      let a = accesses.get(key);
      if (!a) accesses.set(key, (a = createUserAccess(policies, registry, v, user)));
      return a;
    },
    mask(kind, type) {
      const key = `${kind}:${type}`;
      let m = masks.get(key);
      if (!m) masks.set(key, (m = createMask(kind, type, secret)));
      return m;
    },
  };
}
