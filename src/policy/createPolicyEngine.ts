import { randomBytes } from 'node:crypto';
import { DatagateError, ErrorCode } from '../errors';
import type { User } from '../identity';
import type { FieldType, Registry } from '../model';
import { createUserAccess, type UserAccess } from './access';
import { createMask, type MaskFn } from './masks';
import type { MaskKind, PolicySet, RolePolicy, RoleSetView } from './types';
import { buildRoleSetView } from './views';

/** What an approved access request gives: read on some fields of one entity, to one user, for a time. */
export interface GrantScope {
  /** The access request's id: the grant's role is `grant:<id>`. */
  readonly id: string;
  readonly entity: string;
  /** Empty: every field of the entity. */
  readonly fields: readonly string[];
  /** The requester's roles when they asked: the grant never lifts a row cap (maxRows) those roles had. */
  readonly requesterRoles: readonly string[];
}

/** Role names of grants: no policy file may be named so (loadPolicies refuses ":" in role names). */
export const GRANT_ROLE_PREFIX = 'grant:';

export interface PolicyEngine {
  /** The deployment's policy files (grants are not among them). */
  readonly policies: PolicySet;
  /** The roles a request runs as: the user's roles that have a policy, or the one `requested` (which it must hold). */
  rolesFor(user: User, requested?: string): string[];
  view(roles: readonly string[]): RoleSetView;
  access(user: User, roles: readonly string[]): UserAccess;
  mask(kind: MaskKind, type: FieldType): MaskFn;
  /**
   * The role of a grant, registered on first use: `can read <entity> [fields]` on every row, unmasked,
   * usable in `view`/`access` beside the user's own roles. A grant's scope never changes (a new request
   * is a new grant), so its role and every view built with it can be cached.
   */
  grantRole(grant: GrantScope): string;
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
  // A client sends the same token with every request, and the token verifier hands back the same User
  // object for it: the access its last request ran with is kept on that object, so that a request
  // with the same roles skips the two keyed caches (the view's key sorts and joins the roles, the
  // access's key serializes the attributes). Held weakly: the LRU above still bounds how many
  // accesses stay alive (the verifier keeps up to 10,000 users, each could otherwise pin its own).
  const lastAccess = new WeakMap<User, { readonly roles: readonly string[]; readonly access: WeakRef<UserAccess> }>();
  // The policy files' roles plus every grant role registered so far. Grant roles are never removed:
  // a revoked or expired grant's role simply stops being among a user's roles, while views built with
  // it may still sit in a cache.
  const withGrants: PolicySet = { roles: new Map(policies.roles), anonymousRole: policies.anonymousRole };
  const all = withGrants.roles as Map<string, RolePolicy>;

  const view = (roles: readonly string[]) => {
    const key = [...new Set(roles)].sort().join('+');
    let v = views.get(key);
    if (!v) views.set(key, (v = buildRoleSetView(withGrants, registry, roles)));
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
      const last = lastAccess.get(user);
      const kept = last && sameList(last.roles, roles) ? last.access.deref() : undefined;
      if (kept) return kept;
      const v = view(roles);
      // Conditions depend on the user's id, roles and attributes only: users alike share one.
      const key = `${v.key}\u0000${user.id ?? ''}\u0000${JSON.stringify(user.attributes)}`;
      let a = accesses.get(key);
      if (!a) accesses.set(key, (a = createUserAccess(withGrants, registry, v, user)));
      lastAccess.set(user, { roles: [...roles], access: new WeakRef(a) });
      return a;
    },
    grantRole(grant) {
      const name = `${GRANT_ROLE_PREFIX}${grant.id}`;
      if (!all.has(name)) all.set(name, grantPolicy(name, grant, policies));
      return name;
    },
    mask(kind, type) {
      const key = `${kind}:${type}`;
      let m = masks.get(key);
      if (!m) masks.set(key, (m = createMask(kind, type, secret)));
      return m;
    },
  };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The role policy of one grant. */
function grantPolicy(name: string, grant: GrantScope, policies: PolicySet): RolePolicy {
  const file = `access request ${grant.id}`;
  const caps = grant.requesterRoles.flatMap((r) => {
    const p = policies.roles.get(r);
    const cap = p?.maxRows.get(grant.entity) ?? p?.maxRows.get('*');
    return cap === undefined ? [] : [cap];
  });
  return Object.freeze({
    name,
    description: `grant from access request ${grant.id}`,
    file,
    rules: Object.freeze([
      Object.freeze({
        action: Object.freeze(['read' as const]),
        subject: Object.freeze([grant.entity]),
        ...(grant.fields.length ? { fields: Object.freeze([...grant.fields]) } : {}),
        inverted: false,
        origin: Object.freeze({ role: name, file, path: 'grant' }),
      }),
    ]),
    masks: new Map(),
    maxRows: new Map(caps.length ? [[grant.entity, Math.min(...caps)]] : []),
  });
}
