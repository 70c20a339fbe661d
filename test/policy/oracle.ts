/**
 * The reference semantics of docs/POLICIES.md in plain TypeScript, over the fixture's full tables.
 *
 * Independent of the gateway: nothing here comes from src/policy or src/graph. The model and the
 * policy files are read back from their YAML text with the `yaml` package, rules are evaluated row
 * by row with CASL's first-match order (a later rule wins), roles OR together, masks are applied
 * as the mask table says, and user filters follow SQL's three-valued logic (comparisons never match
 * NULL). The property test asks the same questions of the gateway and of this oracle.
 */
import { parse } from 'yaml';

export type Engine = 'postgres' | 'mysql';
export type Row = Record<string, unknown>;
export type FieldType = 'ID' | 'String' | 'Int' | 'BigInt' | 'Float' | 'Decimal' | 'Boolean' | 'DateTime' | 'Date' | 'JSON';

// ───────────────────────────── model ─────────────────────────────

export interface FieldDef {
  name: string;
  type: FieldType;
  nullable: boolean;
}
export interface RelDef {
  name: string;
  from: string;
  target: string;
  many: boolean;
  on: [string, string][];
}
export interface EntityDef {
  name: string;
  source: string;
  key: string;
  fields: Map<string, FieldDef>;
  relationships: Map<string, RelDef>;
}
export type Model = Map<string, EntityDef>;

/** The model as the gateway reads it, from the same YAML files (fields nullable unless `nullable: false`; the key never null). */
export function parseModel(files: Record<string, string>): Model {
  const model: Model = new Map();
  for (const text of Object.values(files)) {
    const doc = parse(text) as Record<string, any>;
    for (const [name, e] of Object.entries(doc)) {
      const fields = new Map<string, FieldDef>();
      for (const [f, spec] of Object.entries(e.fields as Record<string, any>))
        fields.set(f, { name: f, type: spec.type, nullable: f === e.key ? false : spec.nullable !== false });
      const relationships = new Map<string, RelDef>();
      for (const [r, spec] of Object.entries((e.relationships ?? {}) as Record<string, any>))
        relationships.set(r, { name: r, from: name, target: spec.entity, many: spec.many === true, on: Object.entries(spec.on as Record<string, string>) });
      model.set(name, { name, source: e.source, key: e.key, fields, relationships });
    }
  }
  return model;
}

/** Full tables by entity name, with an index per (entity, field) for relationship lookups. */
export class Tables {
  private readonly indexes = new Map<string, Map<string, Row[]>>();
  constructor(
    readonly model: Model,
    readonly rows: Record<string, Row[]>,
  ) {}

  private readonly answers = new WeakMap<Row, Map<RelDef, Row[]>>();

  /** The target rows joined to `row` by `rel` (memoized per row object). */
  related(rel: RelDef, row: Row): Row[] {
    let byRel = this.answers.get(row);
    if (!byRel) this.answers.set(row, (byRel = new Map()));
    let out = byRel.get(rel);
    if (!out) byRel.set(rel, (out = this.lookup(rel, row)));
    return out;
  }

  private lookup(rel: RelDef, row: Row): Row[] {
    const local = rel.on.map(([l]) => row[l]);
    if (local.some((v) => v === null || v === undefined)) return [];
    const idxKey = `${rel.target}|${rel.on.map(([, r]) => r).join(',')}`;
    let idx = this.indexes.get(idxKey);
    if (!idx) {
      idx = new Map();
      for (const r of this.rows[rel.target]) {
        const k = JSON.stringify(rel.on.map(([, f]) => String(r[f])));
        const g = idx.get(k);
        if (g) g.push(r);
        else idx.set(k, [r]);
      }
      this.indexes.set(idxKey, idx);
    }
    return idx.get(JSON.stringify(local.map(String))) ?? [];
  }
}

// ───────────────────────────── values ─────────────────────────────

const collator = new Intl.Collator('en', { sensitivity: 'base' });

/**
 * Order of two non-null values of one field type, as the engine orders them: PostgreSQL's
 * databases here use C.UTF-8 (code point order), MariaDB's utf8mb4_unicode_ci (case- and
 * accent-insensitive UCA, which Intl.Collator's base sensitivity matches on this data).
 */
export function compareValues(type: FieldType, a: unknown, b: unknown, engine: Engine): number {
  switch (type) {
    case 'Int':
    case 'Float':
      return Number(a) - Number(b);
    case 'BigInt':
    case 'Decimal': {
      const x = Number(a), y = Number(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'DateTime':
      return toDate(a).getTime() - toDate(b).getTime();
    case 'Boolean':
      return Number(a) - Number(b);
    default: {
      const x = String(a), y = String(b);
      if (engine === 'mysql') return collator.compare(x, y);
      const cx = [...x].map((c) => c.codePointAt(0)!), cy = [...y].map((c) => c.codePointAt(0)!);
      for (let i = 0; i < Math.min(cx.length, cy.length); i++) if (cx[i] !== cy[i]) return cx[i] - cy[i];
      return cx.length - cy.length;
    }
  }
}

export function toDate(v: unknown): Date {
  return v instanceof Date ? v : new Date(String(v));
}

/** Equal in the sense of `=`: on the values this suite generates, exact equality on every engine. */
export function equalValues(type: FieldType, a: unknown, b: unknown, engine: Engine): boolean {
  if (type === 'String' || type === 'ID') return String(a) === String(b);
  if (type === 'Int' || type === 'Boolean') return a === b;
  return compareValues(type, a, b, engine) === 0;
}

/** A table value as the GraphQL API prints it. */
export function apiValue(type: FieldType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (type === 'DateTime') return toDate(v).toISOString();
  return v;
}

/** Whether an API value equals the table value (DateTime compared as instants, Decimal as numbers). */
export function sameApiValue(type: FieldType, got: unknown, table: unknown): boolean {
  if (table === null || table === undefined) return got === null;
  if (got === null || got === undefined) return false;
  if (type === 'DateTime') return typeof got === 'string' && toDate(got).getTime() === toDate(table).getTime();
  if (type === 'Decimal' || type === 'BigInt') return typeof got === 'string' && Number(got) === Number(table);
  return got === table;
}

// ───────────────────────────── masks ─────────────────────────────

export type MaskKind = 'null' | 'redact' | 'hash' | 'email' | 'last4' | 'year';
/** From most to least protective. */
export const MASK_ORDER: readonly MaskKind[] = ['null', 'redact', 'hash', 'email', 'last4', 'year'];
export const HASH_SHAPE = /^h_[0-9a-f]{20}$/;

/** The masked form of a value per the mask table; `hash` is keyed, so it is checked by shape (null: cannot be recomputed). */
export function maskValue(kind: MaskKind, type: FieldType, v: unknown): { value: unknown } | { hash: true } {
  if (kind === 'null') return { value: null };
  if (v === null || v === undefined) return { value: null };
  const s = v instanceof Date ? v.toISOString() : String(v);
  switch (kind) {
    case 'redact':
      return { value: '***' };
    case 'hash':
      return { hash: true };
    case 'email': {
      // By code points: an astral character is one character.
      const at = s.lastIndexOf('@');
      return { value: at > 0 ? `${[...s][0]}***${s.slice(at)}` : '***' };
    }
    case 'last4': {
      const cs = [...s];
      return { value: cs.length > 4 ? `***${cs.slice(-4).join('')}` : '***' };
    }
    case 'year': {
      const year = toDate(v).getUTCFullYear();
      return { value: type === 'Date' ? `${year}-01-01` : new Date(Date.UTC(year, 0, 1)).toISOString() };
    }
  }
}

// ───────────────────────────── policies ─────────────────────────────

export type Action = 'read' | 'aggregate';
interface RawRule {
  action: Action | Action[];
  subject: string | string[];
  fields?: string[];
  conditions?: Record<string, unknown>;
  inverted?: boolean;
  reason?: string;
}
interface RawMask {
  mask: MaskKind;
  unless?: Record<string, unknown>;
}
interface PolicyFileDoc {
  role: string;
  extends?: string | string[];
  rules?: RawRule[];
  masks?: Record<string, MaskKind | RawMask>;
  limits?: { maxRows?: number | Record<string, number> };
}

export interface Rule {
  actions: Action[];
  subjects: string[];
  fields?: string[];
  conditions?: Record<string, unknown>;
  inverted: boolean;
}
export interface ResolvedRole {
  name: string;
  rules: Rule[];
  /** "Entity.field" → mask */
  masks: Map<string, RawMask>;
  maxRows: Map<string, number>;
}

const arr = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Policy files (their YAML text) → roles with `extends` resolved: parents' rules first; masks and limits inherited, the role's own win. */
export function parsePolicies(files: Record<string, string>): Map<string, ResolvedRole> {
  const docs = new Map<string, PolicyFileDoc>();
  for (const text of Object.values(files)) {
    const d = parse(text) as PolicyFileDoc;
    docs.set(d.role, d);
  }
  const out = new Map<string, ResolvedRole>();
  const resolve = (name: string): ResolvedRole => {
    const done = out.get(name);
    if (done) return done;
    const d = docs.get(name)!;
    const parents = arr(d.extends).map(resolve);
    const rules: Rule[] = parents.flatMap((p) => p.rules);
    const masks = new Map<string, RawMask>();
    const maxRows = new Map<string, number>();
    for (const p of parents) {
      for (const [k, m] of p.masks) masks.set(k, m);
      for (const [k, n] of p.maxRows) maxRows.set(k, n);
    }
    for (const r of d.rules ?? [])
      rules.push({ actions: arr(r.action), subjects: arr(r.subject), fields: r.fields, conditions: r.conditions, inverted: r.inverted === true });
    for (const [k, m] of Object.entries(d.masks ?? {})) masks.set(k, typeof m === 'string' ? { mask: m } : m);
    const mr = d.limits?.maxRows;
    if (typeof mr === 'number') maxRows.set('*', mr);
    else if (mr) for (const [k, n] of Object.entries(mr)) maxRows.set(k, n);
    const role = { name, rules, masks, maxRows };
    out.set(name, role);
    return role;
  };
  for (const name of docs.keys()) resolve(name);
  return out;
}

class MissingValue extends Error {}
class BadValue extends Error {}

export interface UserAttrs {
  id: string;
  roles: string[];
  attributes: Record<string, unknown>;
}

const WHOLE = /^\$\{([a-zA-Z0-9_.]+)\}$/;
const PART = /\$\{([a-zA-Z0-9_.]+)\}/g;

function interpolate(node: unknown, look: (p: string) => unknown): unknown {
  if (typeof node === 'string') {
    const w = WHOLE.exec(node);
    if (w) return look(w[1]);
    return node.replace(PART, (_, p: string) => String(look(p)));
  }
  if (Array.isArray(node)) return node.map((n) => interpolate(n, look));
  if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolate(v, look)]));
  return node;
}

type Pred = (row: Row) => boolean;
const TRUE_P: Pred = () => true;
const FALSE_P: Pred = () => false;

/** A policy value as a value of the field's type, or BadValue. */
function policyValue(f: FieldDef, v: unknown): unknown {
  switch (f.type) {
    case 'Int':
      if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
      throw new BadValue();
    case 'Decimal':
    case 'Float':
    case 'BigInt':
      if (typeof v === 'number' && Number.isFinite(v)) return v;
      if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return v;
      throw new BadValue();
    case 'String':
    case 'ID':
      if (typeof v === 'string') return v;
      throw new BadValue();
    case 'Boolean':
      if (typeof v === 'boolean') return v;
      throw new BadValue();
    case 'DateTime': {
      const d = v instanceof Date ? v : typeof v === 'string' ? new Date(v) : undefined;
      if (d && !Number.isNaN(d.getTime())) return d;
      throw new BadValue();
    }
    default:
      throw new BadValue();
  }
}

const isOps = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) && Object.keys(v).length > 0 && Object.keys(v).every((k) => k.startsWith('$'));

/**
 * A CASL (MongoDB) query over one entity → a row predicate, two-valued, with the NULL rules of
 * docs/POLICIES.md: comparisons never match NULL, `$ne`/`$nin` match NULL, `$eq: null` is IS NULL,
 * `$exists: true` is IS NOT NULL. The keys of a query, and the operators of one key, AND together.
 */
function compileConditions(model: Model, tables: Tables, engine: Engine, entity: EntityDef, cond: Record<string, unknown>): Pred {
  const parts = Object.entries(cond).flatMap(([key, value]) => {
    const ops = isOps(value) ? Object.entries(value) : [['$eq', value] as [string, unknown]];
    return ops.map(([op, x]) => compilePath(model, tables, engine, entity, key.split('.'), op, x));
  });
  return (row) => parts.every((p) => p(row));
}

/** Operators meaning "no value matches": through a relationship, "no related row matches the positive form" (MongoDB's reading). */
const NEGATIVE: Record<string, string> = { $ne: '$eq', $nin: '$in' };

/**
 * One operator on a dotted key. A relationship step means "some related row matches the rest", except
 * for `$ne`/`$nin`, which mean "no related row has the value(s)" (true without related rows); `$elemMatch`
 * on a relationship asks one related row to match a whole query.
 */
function compilePath(model: Model, tables: Tables, engine: Engine, entity: EntityDef, path: string[], op: string, x: unknown): Pred {
  const [head, ...rest] = path;
  const rel = entity.relationships.get(head);
  if (rel) {
    const target = model.get(rel.target)!;
    if (!rest.length) {
      if (op !== '$elemMatch') throw new Error(`relationship ${head} needs a field`);
      const inner = compileConditions(model, tables, engine, target, x as Record<string, unknown>);
      return (row) => tables.related(rel, row).some(inner);
    }
    const positive = NEGATIVE[op];
    if (positive) {
      const inner = compilePath(model, tables, engine, target, rest, positive, x);
      return (row) => !tables.related(rel, row).some(inner);
    }
    const inner = compilePath(model, tables, engine, target, rest, op, x);
    return (row) => tables.related(rel, row).some(inner);
  }
  const f = entity.fields.get(head);
  if (!f || rest.length) throw new Error(`${entity.name} has no field ${path.join('.')}`);
  const test = fieldOp(f, op, x, engine);
  return (row) => test(row[f.name] ?? null);
}

function fieldOp(f: FieldDef, op: string, x: unknown, engine: Engine): (v: unknown) => boolean {
  const eq = (v: unknown, c: unknown) => equalValues(f.type, v, c, engine);
  const cmp = (v: unknown, c: unknown) => compareValues(f.type, v, c, engine);
  const list = () => {
    if (!Array.isArray(x)) throw new Error(`${op} expects a list`);
    return { values: x.filter((v) => v !== null).map((v) => policyValue(f, v)), hasNull: x.includes(null) };
  };
  switch (op) {
    case '$eq': {
      if (x === null) return (v) => v === null;
      const c = policyValue(f, x);
      return (v) => v !== null && eq(v, c);
    }
    case '$ne': {
      if (x === null) return (v) => v !== null;
      const c = policyValue(f, x);
      return (v) => v === null || !eq(v, c);
    }
    case '$lt':
    case '$lte':
    case '$gt':
    case '$gte': {
      if (x === null) return () => false;
      const c = policyValue(f, x);
      const test = { $lt: (n: number) => n < 0, $lte: (n: number) => n <= 0, $gt: (n: number) => n > 0, $gte: (n: number) => n >= 0 }[op];
      return (v) => v !== null && test(cmp(v, c));
    }
    case '$in': {
      const { values, hasNull } = list();
      return (v) => (v === null ? hasNull : values.some((c) => eq(v, c)));
    }
    case '$nin': {
      const { values, hasNull } = list();
      return (v) => (v === null ? !hasNull : !values.some((c) => eq(v, c)));
    }
    case '$exists':
      return (v) => (v !== null) === Boolean(x);
    default:
      throw new Error(`operator ${op} is not part of the policy language`);
  }
}

interface UserRule {
  rule: Rule;
  inverted: boolean;
  /** Per subject entity (or `all`): the rule's condition for this user. */
  pred(entity: string): Pred;
}

export interface FieldState {
  visible: boolean;
  clear: boolean;
  /** Not clear: the masks the value may carry (the most protective of the roles reading it here, or one still more protective that the role set applies). */
  masks: MaskKind[];
}

/** The evaluated policies of a deployment: one per test run. */
export class PolicyOracle {
  readonly roles: Map<string, ResolvedRole>;
  constructor(
    readonly model: Model,
    readonly tables: Tables,
    policyFiles: Record<string, string>,
    readonly engine: Engine,
  ) {
    this.roles = parsePolicies(policyFiles);
  }

  forUser(user: UserAttrs): UserOracle {
    return new UserOracle(this, user);
  }

  /**
   * Whether a role's rules give `action` on `entity` to some rows at all (placeholders unfilled): some
   * `can` rule is reached before an unconditional `cannot` in CASL's order. Decides which roles'
   * `maxRows` bound a list.
   */
  roleReads(role: string, action: Action, entity: string): boolean {
    const rules = this.roles.get(role)!.rules;
    for (let i = rules.length - 1; i >= 0; i--) {
      const r = rules[i];
      if (!r.actions.includes(action) || !(r.subjects.includes(entity) || r.subjects.includes('all'))) continue;
      if (r.inverted) {
        if (!r.fields && !r.conditions) return false;
      } else return true;
    }
    return false;
  }
}

export class UserOracle {
  /** The request's roles: the token's roles that have a policy. */
  readonly roles: string[];
  private readonly rules = new Map<string, UserRule[]>();
  private readonly unless = new Map<string, Pred>();
  private readonly lists = new Map<string, Map<string, Map<string, Map<string, { inverted: boolean; pred: Pred }[]>>>>();
  /** Per table row (rows are the tables' own objects), per field. */
  private readonly states = new WeakMap<Row, Map<string, FieldState>>();

  constructor(
    readonly o: PolicyOracle,
    readonly user: UserAttrs,
  ) {
    this.roles = [...new Set(user.roles)].filter((r) => o.roles.has(r)).sort();
    const look = (p: string): unknown => {
      const [head, name, ...more] = p.split('.');
      if (head !== 'user' || !name || more.length) throw new MissingValue();
      const v = name === 'id' ? user.id : name === 'roles' ? this.roles : Object.prototype.hasOwnProperty.call(user.attributes, name) ? user.attributes[name] : undefined;
      if (v === undefined || v === null) throw new MissingValue();
      if (typeof v === 'object' && !Array.isArray(v)) throw new MissingValue();
      return v;
    };
    for (const role of this.roles) {
      const list: UserRule[] = [];
      for (const rule of o.roles.get(role)!.rules) {
        let conditions = rule.conditions;
        if (conditions) {
          try {
            conditions = interpolate(conditions, look) as Record<string, unknown>;
          } catch (e) {
            if (!(e instanceof MissingValue)) throw e;
            // No value for the caller: a `can` rule grants nothing, a `cannot` rule applies to every row.
            if (!rule.inverted) continue;
            conditions = undefined;
          }
        }
        const preds = new Map<string, Pred>();
        const c = conditions;
        list.push({
          rule,
          inverted: rule.inverted,
          pred: (entity) => {
            let p = preds.get(entity);
            if (!p) {
              if (!c) p = TRUE_P;
              else
                try {
                  p = compileConditions(o.model, o.tables, o.engine, o.model.get(entity)!, c);
                } catch (e) {
                  if (!(e instanceof BadValue)) throw e;
                  p = rule.inverted ? TRUE_P : FALSE_P;
                }
              preds.set(entity, p);
            }
            return p;
          },
        });
      }
      this.rules.set(role, list);
      for (const [key, m] of o.roles.get(role)!.masks) {
        if (!m.unless) continue;
        const entity = o.model.get(key.split('.')[0])!;
        let p: Pred;
        try {
          p = compileConditions(o.model, o.tables, o.engine, entity, interpolate(m.unless, look) as Record<string, unknown>);
        } catch (e) {
          if (!(e instanceof MissingValue || e instanceof BadValue)) throw e;
          p = FALSE_P; // no value for a placeholder: in clear nowhere
        }
        this.unless.set(`${role}|${key}`, p);
      }
    }
  }

  /** CASL's `can(action, subject(entity, row), field)` for one role: the first matching rule in priority order (the last written) decides. */
  roleCan(role: string, action: Action, entity: string, row: Row, field?: string): boolean {
    for (const r of this.applicable(role, action, entity, field)) if (r.pred(row)) return !r.inverted;
    return false;
  }

  /**
   * The rules that apply to (role, action, entity, field), last written first, each with its
   * condition for this user. Without a field, a rule with `fields` counts when it is a `can` (it
   * grants the row); with a field, when it names it. Memoized in nested maps (no key strings).
   */
  private applicable(role: string, action: Action, entity: string, field: string | undefined): { inverted: boolean; pred: Pred }[] {
    const step = (m: Map<string, any>, k: string): Map<string, any> => {
      let next = m.get(k);
      if (!next) m.set(k, (next = new Map()));
      return next;
    };
    const m = step(step(step(this.lists, role), action), entity);
    const last = field ?? '';
    let list = m.get(last) as { inverted: boolean; pred: Pred }[] | undefined;
    if (!list) {
      list = [];
      const rules = this.rules.get(role)!;
      for (let i = rules.length - 1; i >= 0; i--) {
        const { rule, inverted } = rules[i];
        if (!rule.actions.includes(action) || !(rule.subjects.includes(entity) || rule.subjects.includes('all'))) continue;
        if (field === undefined ? rule.fields && inverted : rule.fields && !rule.fields.includes(field)) continue;
        list.push({ inverted, pred: rules[i].pred(entity) });
      }
      m.set(last, list);
    }
    return list;
  }

  canRead(entity: string, row: Row): boolean {
    return this.roles.some((r) => this.roleCan(r, 'read', entity, row));
  }
  canAggregate(entity: string, row: Row): boolean {
    return this.roles.some((r) => this.roleCan(r, 'aggregate', entity, row));
  }

  maskOf(role: string, entity: string, field: string): RawMask | undefined {
    return this.o.roles.get(role)!.masks.get(`${entity}.${field}`);
  }

  /** One field of one row: readable (some role reads that field there), in clear (one of those roles does not mask it there), else which masks. */
  fieldState(entity: string, row: Row, field: string): FieldState {
    let byField = this.states.get(row);
    if (!byField) this.states.set(row, (byField = new Map()));
    let st = byField.get(field);
    if (!st) byField.set(field, (st = this.computeFieldState(entity, row, field)));
    return st;
  }

  private computeFieldState(entity: string, row: Row, field: string): FieldState {
    const readers = this.roles.filter((r) => this.roleCan(r, 'read', entity, row, field));
    if (!readers.length) return { visible: false, clear: false, masks: [] };
    const clearFor = (r: string) => {
      const m = this.maskOf(r, entity, field);
      return !m || (m.unless !== undefined && this.unless.get(`${r}|${entity}.${field}`)!(row));
    };
    if (readers.some(clearFor)) return { visible: true, clear: true, masks: [] };
    const rank = (k: MaskKind) => MASK_ORDER.indexOf(k);
    const here = Math.min(...readers.map((r) => rank(this.maskOf(r, entity, field)!.mask)));
    const all = new Set(this.roles.flatMap((r) => (this.maskOf(r, entity, field) ? [this.maskOf(r, entity, field)!.mask] : [])));
    return { visible: true, clear: false, masks: [...all].filter((k) => rank(k) <= here) };
  }

  /** Most rows one list of `entity` may return: the largest cap of the roles reading it, none when one of them has none. */
  cap(entity: string): number | undefined {
    const caps = this.roles
      .filter((r) => this.o.roleReads(r, 'read', entity))
      .map((r) => this.o.roles.get(r)!.maxRows.get(entity) ?? this.o.roles.get(r)!.maxRows.get('*'));
    return caps.length && caps.every((c) => c !== undefined) ? Math.max(...(caps as number[])) : undefined;
  }

  readable(entity: string): Row[] {
    return this.o.tables.rows[entity].filter((r) => this.canRead(entity, r));
  }
}

// ───────────────────────────── user queries ─────────────────────────────

export type Dir = 'ASC' | 'DESC' | 'ASC_NULLS_FIRST' | 'ASC_NULLS_LAST' | 'DESC_NULLS_FIRST' | 'DESC_NULLS_LAST';

/** A user's `where`, one condition per node (the shape the generator builds). */
export type Where =
  | { and: Where[] }
  | { or: Where[] }
  | { not: Where }
  | { field: string; op: string; value: unknown }
  | { rel: string; where: Where };

type Tri = boolean | null;
const triAnd = (xs: Tri[]): Tri => (xs.some((x) => x === false) ? false : xs.some((x) => x === null) ? null : true);
const triOr = (xs: Tri[]): Tri => (xs.some((x) => x === true) ? true : xs.some((x) => x === null) ? null : false);

/** LIKE as every engine documents it here: `%` any run, `_` one character, `\` escapes; case-sensitive. */
export function likeToRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  let re = '';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === '\\' && i + 1 < chars.length) re += escapeRe(chars[++i]);
    else if (c === '%') re += '.*';
    else if (c === '_') re += '.';
    else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`, caseInsensitive ? 'isu' : 'su');
}
const escapeRe = (c: string) => c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

/**
 * A user's filter on one row, in SQL's three-valued logic (README: comparisons never match NULL;
 * `not` of an unknown stays unknown). A relationship key matches when some related row that the
 * caller may read matches (the target's own policy applies inside filters).
 */
export function evalWhere(u: UserOracle, entity: EntityDef, w: Where, row: Row): Tri {
  const engine = u.o.engine;
  if ('and' in w) return triAnd(w.and.map((x) => evalWhere(u, entity, x, row)));
  if ('or' in w) return triOr(w.or.map((x) => evalWhere(u, entity, x, row)));
  if ('not' in w) {
    const x = evalWhere(u, entity, w.not, row);
    return x === null ? null : !x;
  }
  if ('rel' in w) {
    const rel = entity.relationships.get(w.rel)!;
    const target = u.o.model.get(rel.target)!;
    return u.o.tables.related(rel, row).some((r) => u.canRead(target.name, r) && evalWhere(u, target, w.where, r) === true);
  }
  const f = entity.fields.get(w.field)!;
  const v = row[f.name] ?? null;
  const x = w.value;
  if (w.op === 'isNull') return (v === null) === x;
  // An empty list is a constant, NULL or not (as test/integration/behaviour.test.ts has it): `in: []` matches nothing, `nin: []` everything.
  if ((w.op === 'in' || w.op === 'nin') && (x as unknown[]).length === 0) return w.op === 'nin';
  if (v === null) return null;
  const c = (y: unknown) => compareValues(f.type, v, y, engine);
  switch (w.op) {
    case 'eq':
      return equalValues(f.type, v, x, engine);
    case 'neq':
      return !equalValues(f.type, v, x, engine);
    case 'lt':
      return c(x) < 0;
    case 'lte':
      return c(x) <= 0;
    case 'gt':
      return c(x) > 0;
    case 'gte':
      return c(x) >= 0;
    case 'in':
      return (x as unknown[]).some((y) => equalValues(f.type, v, y, engine));
    case 'nin':
      return !(x as unknown[]).some((y) => equalValues(f.type, v, y, engine));
    case 'like':
    case 'ilike':
      return likeToRegExp(x as string, w.op === 'ilike').test(String(v));
    default:
      throw new Error(`unknown operator ${w.op}`);
  }
}

/** Sorts like SQL with explicit NULL placement (defaults: NULLs last ascending, first descending); the key ascending breaks ties. */
export function sortRows(entity: EntityDef, rows: Row[], order: [string, Dir][], engine: Engine): Row[] {
  const terms = order.some(([f]) => f === entity.key) ? order : [...order, [entity.key, 'ASC'] as [string, Dir]];
  return [...rows].sort((x, y) => {
    for (const [f, dir] of terms) {
      const desc = dir.startsWith('DESC');
      const nullsFirst = dir.endsWith('NULLS_FIRST') || (!dir.includes('NULLS') && desc);
      const a = x[f] ?? null, b = y[f] ?? null;
      if (a === null && b === null) continue;
      if (a === null) return nullsFirst ? -1 : 1;
      if (b === null) return nullsFirst ? 1 : -1;
      const c = compareValues(entity.fields.get(f)!.type, a, b, engine);
      if (c !== 0) return desc ? -c : c;
    }
    return 0;
  });
}

/** Exact decimal sum (values with at most 2 decimals, as the fixture's), as a number of cents. */
export function sumCents(values: unknown[]): bigint {
  return values.reduce<bigint>((acc, v) => acc + BigInt(Math.round(Number(v) * 100)), 0n);
}

export interface AggregateGroup {
  key: unknown[];
  rows: Row[];
}

/** Groups by the listed fields (NULL is a group of its own), in ascending order with NULLs last, as the gateway sorts groups. */
export function groupRows(entity: EntityDef, rows: Row[], groupBy: string[], engine: Engine): AggregateGroup[] {
  if (!groupBy.length) return [{ key: [], rows }];
  const groups: AggregateGroup[] = [];
  for (const r of rows) {
    const key = groupBy.map((g) => r[g] ?? null);
    const same = (k: unknown[]) =>
      k.every((v, i) => (v === null || key[i] === null ? v === key[i] : equalValues(entity.fields.get(groupBy[i])!.type, v, key[i], engine)));
    const g = groups.find((x) => same(x.key));
    if (g) g.rows.push(r);
    else groups.push({ key, rows: [r] });
  }
  return groups.sort((a, b) => {
    for (let i = 0; i < groupBy.length; i++) {
      const x = a.key[i], y = b.key[i];
      if (x === null && y === null) continue;
      if (x === null) return 1;
      if (y === null) return -1;
      const c = compareValues(entity.fields.get(groupBy[i])!.type, x, y, engine);
      if (c !== 0) return c;
    }
    return 0;
  });
}
