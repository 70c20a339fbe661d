import { readdirSync } from 'node:fs';
import path from 'node:path';
import { readYamlFile, validateYaml, type YamlFile } from '../config';
import { ConfigError, ErrorCode, type ConfigProblem } from '../errors';
import type { Entity, Registry } from '../model';
import { PROBE } from './coerce';
import { queryCondition } from './abilities';
import { placeholdersIn } from './interpolate';
import { policyFileSchema, type PolicyFile } from './policyFile';
import type { MaskKind, PolicyMask, PolicyRule, PolicySet, RolePolicy } from './types';

export interface PolicyOptions {
  /** Attribute names the claims mapping provides (`identity.claims.attributes`): the `${user.*}` a policy may use. */
  attributes: readonly string[];
  anonymousRole: string;
}

/** Which masks fit which field types (a mask never changes a field's GraphQL type). */
const MASK_TYPES: Record<MaskKind, readonly string[] | 'any'> = {
  null: 'any',
  redact: ['String', 'ID'],
  hash: ['String', 'ID'],
  email: ['String'],
  last4: ['String', 'ID'],
  year: ['Date', 'DateTime'],
};

/** Reads every `*.yaml` in `dir` (one role each), resolves `extends`, and checks every rule against the model. */
export function loadPolicies(dir: string, registry: Registry, opts: PolicyOptions): PolicySet {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => path.join(dir, f));
  } catch {
    throw new ConfigError(
      [{ file: dir, path: '', message: 'policies folder not found: create it with one file per role (see docs/POLICIES.md), or set `policies:` in datagate.yaml' }],
      ErrorCode.BAD_POLICY,
    );
  }
  return buildPolicies(files.map((f) => readYamlFile(f)), registry, opts);
}

export function buildPolicies(parsed: YamlFile[], registry: Registry, opts: PolicyOptions): PolicySet {
  const problems: ConfigProblem[] = [];
  const declared = new Map<string, { file: PolicyFile; y: YamlFile }>();
  for (const y of parsed) {
    const { value, problems: p } = validateYaml(y, policyFileSchema, null);
    problems.push(...p);
    if (!value) continue;
    const prev = declared.get(value.role);
    if (prev) problems.push({ file: y.file, path: 'role', line: y.lineOf(['role']), message: `role ${value.role} is already declared in ${prev.y.file}` });
    else declared.set(value.role, { file: value, y });
  }
  for (const { file, y } of declared.values()) checkFile(file, y, registry, opts, problems);
  for (const { file, y } of declared.values())
    for (const [i, parent] of (file.extends ?? []).entries())
      if (!declared.has(parent))
        problems.push({ file: y.file, path: `extends[${i}]`, line: y.lineOf(['extends']), message: `unknown role "${parent}"; known: ${[...declared.keys()].join(', ')}` });
  // Cycles are found here, so they are listed with every other problem.
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, chain: string[]) => {
    if (state.get(name) === 'done' || !declared.has(name)) return;
    if (state.get(name) === 'visiting') {
      const { y } = declared.get(name)!;
      problems.push({ file: y.file, path: 'extends', line: y.lineOf(['extends']), message: `extends forms a cycle: ${[...chain.slice(chain.indexOf(name)), name].join(' → ')}` });
      return;
    }
    state.set(name, 'visiting');
    for (const parent of declared.get(name)!.file.extends ?? []) visit(parent, [...chain, name]);
    state.set(name, 'done');
  };
  for (const name of declared.keys()) visit(name, []);
  if (problems.length) throw new ConfigError(problems, ErrorCode.BAD_POLICY);

  const resolved = new Map<string, RolePolicy>();
  const resolve = (name: string): RolePolicy => {
    const done = resolved.get(name);
    if (done) return done;
    const { file, y } = declared.get(name)!;
    const parents = (file.extends ?? []).map((p) => resolve(p));
    const rules: PolicyRule[] = parents.flatMap((p) => p.rules);
    const masks = new Map<string, Map<string, PolicyMask>>();
    const maxRows = new Map<string, number>();
    for (const p of parents) {
      for (const [e, fields] of p.masks) for (const [f, m] of fields) (masks.get(e) ?? masks.set(e, new Map()).get(e)!).set(f, m);
      for (const [e, n] of p.maxRows) maxRows.set(e, n);
    }
    file.rules.forEach((r, i) =>
      rules.push(
        Object.freeze({
          action: r.action,
          subject: r.subject,
          fields: r.fields,
          conditions: r.conditions,
          inverted: r.inverted,
          reason: r.reason,
          origin: { role: name, file: y.file, line: y.lineOf(['rules', i]), path: `rules[${i}]` },
        }),
      ),
    );
    for (const [key, m] of Object.entries(file.masks)) {
      const [e, f] = key.split('.');
      const spec = typeof m === 'string' ? { kind: m } : { kind: m.mask, unless: m.unless };
      (masks.get(e) ?? masks.set(e, new Map()).get(e)!).set(f, Object.freeze({ ...spec, origin: { role: name, file: y.file, line: y.lineOf(['masks', key]), path: `masks.${key}` } }));
    }
    const mr = file.limits.maxRows;
    if (typeof mr === 'number') maxRows.set('*', mr);
    else if (mr) for (const [e, n] of Object.entries(mr)) maxRows.set(e, n);
    const role: RolePolicy = Object.freeze({ name, description: file.description, file: y.file, rules: Object.freeze(rules), masks, maxRows });
    resolved.set(name, role);
    return role;
  };
  for (const name of declared.keys()) resolve(name);
  return Object.freeze({ roles: resolved, anonymousRole: opts.anonymousRole });
}

const OPERATORS = ['$eq', '$ne', '$lt', '$lte', '$gt', '$gte', '$in', '$nin', '$exists', '$elemMatch'];

/**
 * Operators CASL's parser would take but the policy language does not (`$regex`, `$size`, `$not`…),
 * or would silently read as "no condition" (`$options` alone): refused by name before parsing.
 */
function unsupportedOperators(conditions: Record<string, unknown>, out: string[] = []): string[] {
  for (const [key, value] of Object.entries(conditions)) {
    if (key.startsWith('$')) out.push(key);
    else if (value && typeof value === 'object' && !Array.isArray(value)) {
      const ops = Object.entries(value as Record<string, unknown>);
      for (const [op, v] of ops) {
        if (!OPERATORS.includes(op)) out.push(op);
        else if (op === '$elemMatch' && v && typeof v === 'object' && !Array.isArray(v)) unsupportedOperators(v as Record<string, unknown>, out);
      }
    }
  }
  return [...new Set(out)];
}

/** Placeholders replaced by a stand-in that fits any field; a whole-value placeholder under `$in`/`$nin` by a list of one. */
function probe(node: unknown, key?: string): unknown {
  if (typeof node === 'string' && placeholdersIn(node).length) return (key === '$in' || key === '$nin') && /^\$\{[^}]+\}$/.test(node) ? [PROBE] : PROBE;
  if (Array.isArray(node)) return node.map((n) => probe(n));
  if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, probe(v, k)]));
  return node;
}

/** Every problem of one file: unknown entities and fields, bad operators and values, unknown placeholders, misfit masks. */
function checkFile(file: PolicyFile, y: YamlFile, registry: Registry, opts: PolicyOptions, problems: ConfigProblem[]): void {
  const at = (p: (string | number)[], message: string) =>
    problems.push({ file: y.file, path: p.map((k) => (typeof k === 'number' ? `[${k}]` : k)).join('.').replace(/\.\[/g, '['), line: y.lineOf(p), message });
  const known = ['user.id', 'user.roles', ...opts.attributes.map((a) => `user.${a}`)];
  const checkPlaceholders = (value: unknown, p: (string | number)[]) => {
    for (const v of placeholdersIn(value))
      if (!known.includes(v))
        at(p, `\${${v}} is not provided: the claims mapping (identity.claims.attributes in datagate.yaml) gives ${known.map((k) => `\${${k}}`).join(', ')}`);
  };
  const checkConditions = (entity: Entity, conditions: Record<string, unknown>, p: (string | number)[]) => {
    checkPlaceholders(conditions, p);
    const unsupported = unsupportedOperators(conditions);
    if (unsupported.length) {
      at(p, `operator${unsupported.length > 1 ? 's' : ''} ${unsupported.join(', ')} not supported in policy conditions; use ${OPERATORS.join(' ')} (several keys AND, several rules OR, an inverted rule NOT)`);
      return;
    }
    try {
      queryCondition(registry, entity, probe(conditions) as Record<string, unknown>);
    } catch (e) {
      at(p, (e as Error).message);
    }
  };
  const entityOf = (name: string, p: (string | number)[]) => {
    const e = registry.entities.get(name);
    if (!e) at(p, `unknown entity "${name}"; the model has ${[...registry.entities.keys()].join(', ')}`);
    return e;
  };

  file.rules.forEach((r, i) => {
    if (r.subject.includes('all')) {
      if (r.subject.length > 1) at(['rules', i, 'subject'], '`all` stands alone: it already names every entity');
      if (r.fields || r.conditions) at(['rules', i], 'a rule on `all` cannot have fields or conditions: name the entity');
      return;
    }
    for (const s of r.subject) {
      const e = entityOf(s, ['rules', i, 'subject']);
      if (!e) continue;
      for (const f of r.fields ?? []) if (!e.fields.has(f)) at(['rules', i, 'fields'], `${s} has no field "${f}"`);
      if (r.conditions) checkConditions(e, r.conditions, ['rules', i, 'conditions']);
    }
  });
  for (const [key, m] of Object.entries(file.masks)) {
    const [en, fn] = key.split('.');
    const e = entityOf(en, ['masks', key]);
    const f = e?.fields.get(fn);
    if (e && !f) at(['masks', key], `${en} has no field "${fn}"`);
    if (!e || !f) continue;
    const kind = typeof m === 'string' ? m : m.mask;
    const fits = MASK_TYPES[kind];
    if (fits !== 'any' && !fits.includes(f.type)) at(['masks', key], `mask ${kind} does not fit a ${f.type} field; it fits ${fits.join(', ')} (null fits any)`);
    if (f.name === e.key && kind === 'null') at(['masks', key], `the key ${en}.${fn} cannot be masked with null: rows need their key`);
    if (typeof m !== 'string') checkConditions(e, m.unless, ['masks', key, 'unless']);
  }
  const mr = file.limits.maxRows;
  if (mr && typeof mr === 'object') for (const en of Object.keys(mr)) if (en !== '*') entityOf(en, ['limits', 'maxRows', en]);
}
