import { LIMIT_DEFAULTS, type LimitsConfig, type LimitValues } from '../../config';
import { GRANT_ROLE_PREFIX } from '../../policy';

/**
 * The limits of a role set: for each value, the most generous of its roles' (a role without an
 * override has the global value), as policies' maxRows combine. A grant's role (an approved access
 * request) has no limits of its own and never lifts one. No role at all: the global values.
 */
export function limitsForRoles(limits: LimitsConfig, roles: readonly string[]): LimitValues {
  const { roles: perRole, ...global } = limits;
  const own = roles.filter((r) => !r.startsWith(GRANT_ROLE_PREFIX));
  if (!own.length) return global;
  const out = { ...global };
  for (const key of Object.keys(LIMIT_DEFAULTS) as (keyof typeof LIMIT_DEFAULTS)[]) out[key] = Math.max(...own.map((r) => perRole[r]?.[key] ?? global[key]));
  return out;
}
