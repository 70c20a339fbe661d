import path from 'node:path';
import type { User } from '../identity';
import type { Condition } from '../planning';
import type { UserAccess } from './access';
import type { Action, Origin } from './types';

const OPS = { eq: '=', neq: '<>', lt: '<', lte: '<=', gt: '>', gte: '>=' } as const;

function show(v: unknown): string {
  return v instanceof Date ? v.toISOString() : JSON.stringify(v);
}

/** A condition tree in words a policy author reads: `rep_id = 7 AND orders has some (status = "paid")`. */
export function describeCondition(c: Condition): string {
  switch (c.kind) {
    case 'true':
      return 'every row';
    case 'false':
      return 'no row';
    case 'and':
    case 'or':
      return c.items.map((i) => (i.kind === 'and' || i.kind === 'or' ? `(${describeCondition(i)})` : describeCondition(i))).join(c.kind === 'and' ? ' AND ' : ' OR ');
    case 'not':
      return `NOT (${describeCondition(c.item)})`;
    case 'compare':
      return `${c.field} ${OPS[c.op]} ${show(c.value)}`;
    case 'in': {
      const shown = c.values.slice(0, 10).map((t) => (t.length === 1 ? show(t[0]) : `(${t.map(show).join(', ')})`));
      const more = c.values.length > 10 ? `, … ${c.values.length} in all` : '';
      const cols = c.fields.length === 1 ? c.fields[0] : `(${c.fields.join(', ')})`;
      return `${cols} ${c.negate ? 'NOT IN' : 'IN'} [${shown.join(', ')}${more}]`;
    }
    case 'isNull':
      return `${c.field} IS ${c.isNull ? '' : 'NOT '}NULL`;
    case 'like':
      return `${c.field} ${c.caseInsensitive ? 'ILIKE' : 'LIKE'} ${show(c.pattern)}`;
    case 'related':
      return `${c.relationship.name} has some ${c.target.name} where (${describeCondition(c.where)})`;
  }
}

export interface Explanation {
  readonly allowed: boolean;
  readonly reason: string;
  /** The rule that decides, in words, with its file and line. */
  readonly rule: string | null;
  readonly role: string | null;
}

interface RuleLike {
  action: string | string[];
  subject: string | string[];
  fields?: string[];
  conditions?: unknown;
  inverted: boolean;
  reason?: string;
  origin: { origin?: Origin };
}

function describeRule(r: RuleLike): string {
  const o = r.origin.origin;
  const list = (v: string | string[]) => (Array.isArray(v) ? v.join(', ') : v);
  return [
    r.inverted ? 'cannot' : 'can',
    list(r.action),
    list(r.subject),
    r.fields ? `[${r.fields.join(', ')}]` : '',
    r.conditions ? `where ${JSON.stringify(r.conditions)}` : '',
    // The file's name only: where the deployment lives on the server is nobody's business.
    o ? `(role ${o.role}, ${path.basename(o.file)}${o.line ? `:${o.line}` : ''} ${o.path})` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/**
 * Why the caller may or may not read `entity` (or one of its fields): the deciding rule, its role,
 * file and line, and for a `cannot` its reason. Type-level, as CASL's `can` on a type: "allowed"
 * may still mean on some rows only, which the answer says.
 */
export function explainAccess(access: UserAccess, user: User, entityName: string, field?: string, action: Action = 'read'): Explanation {
  const ev = access.view.entities.get(entityName);
  if (!ev) return { allowed: false, reason: `the model has no entity "${entityName}"`, rule: null, role: null };
  if (field !== undefined && !ev.entity.fields.has(field)) return { allowed: false, reason: `${entityName} has no field "${field}"`, rule: null, role: null };
  const what = field ? `${entityName}.${field}` : entityName;
  const roles = access.view.roles;
  if (!roles.length) return { allowed: false, reason: `your token holds no role with a policy, so nothing is readable (roles: ${user.roles.join(', ') || 'none'})`, rule: null, role: null };
  const allowed = action === 'aggregate' ? ev.aggregate !== null && (!field || ev.aggregate.has(field)) : field ? ev.fields.has(field) : ev.read;
  for (const role of roles) {
    const rules = access.abilities.get(role)!.rulesFor(action, entityName, field) as unknown as RuleLike[];
    if (allowed) {
      const grant = rules.find((r) => !r.inverted);
      if (!grant) continue;
      const fv = field ? ev.fields.get(field) : undefined;
      const notes = [
        fv && !fv.uniform ? 'on some rows only' : '',
        fv?.mask ? `masked (${fv.mask}${fv.maskMode === 'conditional' ? ', in clear on some rows' : ''})` : '',
        !field && access.entity(entityName).row.kind !== 'true' ? `rows where ${describeCondition(action === 'aggregate' ? access.entity(entityName).aggregate : access.entity(entityName).row)}` : '',
      ].filter(Boolean);
      return { allowed: true, reason: `you may ${action} ${what}${notes.length ? `: ${notes.join('; ')}` : ''}`, rule: describeRule(grant), role };
    }
    const deny = rules.find((r) => r.inverted && !r.conditions) ?? rules.find((r) => r.inverted);
    if (deny) return { allowed: false, reason: deny.reason ?? 'denied by a cannot rule', rule: describeRule(deny), role };
  }
  if (allowed) return { allowed: true, reason: `you may ${action} ${what}`, rule: null, role: null };
  return { allowed: false, reason: `no rule of your roles (${roles.join(', ')}) grants ${action} on ${what}`, rule: null, role: null };
}
