import { readdirSync } from 'node:fs';
import path from 'node:path';
import { parseDuration, pathToString, readYamlFile, validateYaml, type YamlFile } from '../config';
import { ConfigError, ErrorCode, type ConfigProblem } from '../errors';
import { CHECK_KINDS, CHECK_SCHEMAS, checkKindsIn, checkSpecOf, modelFileSchema, type EntityInput } from './modelSchema';
import { lowerFirst, pluralize, RESERVED_ROOT_FIELDS } from './naming';
import { NUMERIC_TYPES, type Entity, type Field, type FieldType, type Registry, type Relationship } from './types';


export function createRegistry(entities: Iterable<Entity>): Registry {
  const map = new Map<string, Entity>();
  for (const e of entities) map.set(e.name, Object.freeze(e));
  return Object.freeze({
    entities: map,
    entity(name: string): Entity {
      const e = map.get(name);
      if (!e) throw new Error(`Unknown entity ${name}`);
      return e;
    },
  });
}

/** Reads every `*.yaml`/`*.yml` in `dir`, reports every problem at once, and returns the frozen registry. */
export function loadModel(dir: string, sourceNames: readonly string[]): Registry {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => path.join(dir, f));
  } catch {
    throw new ConfigError([{ file: dir, path: '', message: 'model folder not found (set `model:` in datagate.yaml)' }], ErrorCode.BAD_MODEL);
  }
  if (!files.length) throw new ConfigError([{ file: dir, path: '', message: 'no *.yaml model files found' }], ErrorCode.BAD_MODEL);
  const parsed = files.map((f) => readYamlFile(f));
  return buildModel(parsed, sourceNames);
}

export function buildModel(parsed: YamlFile[], sourceNames: readonly string[]): Registry {
  const problems: ConfigProblem[] = [];
  const inputs = new Map<string, { input: EntityInput; y: YamlFile }>();
  for (const y of parsed) {
    const { value, problems: p } = validateYaml(y, modelFileSchema);
    problems.push(...p);
    for (const [name, input] of Object.entries(value ?? {})) {
      const prev = inputs.get(name);
      if (prev) problems.push({ file: y.file, path: name, line: y.lineOf([name]), message: `entity ${name} is already declared in ${prev.y.file}` });
      else inputs.set(name, { input, y });
    }
  }
  const entities: Entity[] = [];
  const rootNames = new Map<string, string>();
  for (const [name, { input, y }] of inputs) {
    const at = (p: (string | number)[], message: string) =>
      problems.push({ file: y.file, path: [name, ...p].join('.'), line: y.lineOf([name, ...p]), message });
    if (!sourceNames.includes(input.source))
      at(['source'], `unknown source "${input.source}"; expected one of ${sourceNames.map((s) => `"${s}"`).join(', ')} (declared in datagate.yaml)`);
    const fields = new Map<string, Field>();
    const columns = new Set<string>();
    for (const [fname, f] of Object.entries(input.fields)) {
      const column = f.column ?? fname;
      if (columns.has(column)) at(['fields', fname, 'column'], `column "${column}" is mapped by another field`);
      columns.add(column);
      if (f.scale !== undefined && f.type !== 'Decimal') at(['fields', fname, 'scale'], `scale applies to Decimal fields only, found it on a ${f.type}`);
      fields.set(fname, Object.freeze({ name: fname, column, type: f.type, nullable: f.nullable ?? fname !== input.key, description: f.description, tags: Object.freeze([...f.tags]), scale: f.scale }));
    }
    if (!fields.has(input.key)) at(['key'], `key "${input.key}" is not one of the entity's fields`);
    else if (fields.get(input.key)!.type === 'JSON') at(['key'], 'a key cannot be a JSON field');
    let retention: Entity['retention'];
    if (input.retention) {
      const keepMs = parseDuration(input.retention.keep);
      const rf = fields.get(input.retention.column);
      if (keepMs === undefined) at(['retention', 'keep'], `expected a duration such as 90d or 7y, found "${input.retention.keep}"`);
      if (!rf) at(['retention', 'column'], `"${input.retention.column}" is not one of the entity's fields`);
      else if (rf.type !== 'DateTime' && rf.type !== 'Date') at(['retention', 'column'], `expected a DateTime or Date field, found ${rf.type}`);
      if (keepMs !== undefined && rf) retention = Object.freeze({ column: input.retention.column, keepMs, keep: input.retention.keep });
    }
    let cacheMaxTtlMs: number | undefined;
    if (input.cache) {
      cacheMaxTtlMs = parseDuration(input.cache.maxTtl);
      if (cacheMaxTtlMs === undefined) at(['cache', 'maxTtl'], `expected a duration such as 30s or 5m (0: never cached), found ${JSON.stringify(input.cache.maxTtl)}`);
    }
    const singular = lowerFirst(name);
    const plural = input.plural ?? pluralize(singular);
    for (const [root, suffix] of [[singular, ''], [plural, ''], [plural, 'Connection'], [plural, 'Aggregate']] as const) {
      const n = root + suffix;
      const other = rootNames.get(n);
      if (other || RESERVED_ROOT_FIELDS.has(n)) at(suffix ? ['plural'] : [], `root field "${n}" collides with ${other ? `entity ${other}` : 'a built-in field'}; set \`plural:\``);
      rootNames.set(n, name);
    }
    entities.push({
      name,
      source: input.source,
      table: input.table,
      schema: input.schema,
      key: input.key,
      description: input.description,
      owner: Object.freeze({ ...input.owner, roles: Object.freeze([...input.owner.roles]), users: Object.freeze([...input.owner.users]) }),
      tags: Object.freeze([...input.tags]),
      classification: Object.freeze([...input.classification]),
      catalog: Object.freeze({ ...input.catalog }),
      retention,
      ...(cacheMaxTtlMs !== undefined ? { cacheMaxTtlMs } : {}),
      checks: Object.freeze(input.checks.map((c) => Object.freeze({ ...c }))),
      fields,
      relationships: new Map(),
      singular,
      plural,
      file: y.file,
    });
  }
  // Relationships need every entity's fields, so they are resolved in a second pass.
  const byName = new Map(entities.map((e) => [e.name, e]));
  for (const e of entities) {
    const { input, y } = inputs.get(e.name)!;
    const rels = e.relationships as Map<string, Relationship>;
    for (const [rname, r] of Object.entries(input.relationships)) {
      const at = (p: string[], message: string) =>
        problems.push({ file: y.file, path: [e.name, 'relationships', rname, ...p].join('.'), line: y.lineOf([e.name, 'relationships', rname, ...p]), message });
      if (e.fields.has(rname)) at([], `relationship "${rname}" has the name of a field`);
      const target = byName.get(r.entity);
      if (!target) {
        at(['entity'], `unknown entity "${r.entity}"`);
        continue;
      }
      const on: [string, string][] = [];
      for (const [local, remote] of Object.entries(r.on)) {
        const lf = e.fields.get(local);
        const rf = target.fields.get(remote);
        if (!lf) at(['on', local], `"${local}" is not a field of ${e.name}`);
        if (!rf) at(['on', local], `"${remote}" is not a field of ${target.name}`);
        if (lf && rf && !joinable(lf.type, rf.type)) at(['on', local], `cannot join ${e.name}.${local} (${lf.type}) to ${target.name}.${remote} (${rf.type})`);
        on.push([local, remote]);
      }
      rels.set(rname, Object.freeze({ name: rname, from: e.name, target: target.name, many: r.many, on: Object.freeze(on), description: r.description }));
    }
  }
  for (const e of entities) {
    const { input, y } = inputs.get(e.name)!;
    input.checks.forEach((raw, i) => checkCheck(e, raw, i, y, byName, problems));
  }
  if (problems.length) throw new ConfigError(problems, ErrorCode.BAD_MODEL);
  return createRegistry(entities);
}

/** One quality check of `e`: its kind's shape (zod), then the fields and entity it names. */
function checkCheck(e: Entity, raw: Record<string, unknown>, i: number, y: YamlFile, byName: ReadonlyMap<string, Entity>, problems: ConfigProblem[]): void {
  const base = [e.name, 'checks', i];
  const at = (p: (string | number)[], message: string) =>
    problems.push({ file: y.file, path: pathToString([...base, ...p]), line: y.lineOf([...base, ...p]), message });
  const kinds = checkKindsIn(raw);
  if (kinds.length !== 1) {
    at([], kinds.length
      ? `a check has one kind, found ${kinds.map((k) => `"${k}"`).join(' and ')}`
      : `unknown check kind (keys ${Object.keys(raw).map((k) => `"${k}"`).join(', ') || 'none'}); expected one of ${CHECK_KINDS.join(', ')}`);
    return;
  }
  const sub: YamlFile = { file: y.file, data: raw, lineOf: (p) => y.lineOf([...base, ...p]), problems: [] };
  const { problems: shape } = validateYaml(sub, CHECK_SCHEMAS[kinds[0]] as never, null);
  for (const p of shape) problems.push({ ...p, path: pathToString(base) + (p.path ? (p.path.startsWith('[') ? p.path : `.${p.path}`) : '') });
  if (shape.length) return;
  const spec = checkSpecOf(raw);
  const field = (name: string, key: string | number, types?: ReadonlySet<FieldType>, what?: string) => {
    const f = e.fields.get(name);
    if (!f) at([key], `"${name}" is not a field of ${e.name}; expected one of ${[...e.fields.keys()].join(', ')}`);
    else if (types && !types.has(f.type)) at([key], `expected ${what} field, found ${name} (${f.type})`);
    return f;
  };
  switch (spec.kind) {
    case 'freshness':
      field(spec.field, 'freshness', new Set<FieldType>(['DateTime', 'Date']), 'a DateTime or Date');
      break;
    case 'notNull':
    case 'accepted':
      field(spec.field, spec.kind);
      break;
    case 'range':
      field(spec.field, 'range', NUMERIC_TYPES, 'a numeric (Int, BigInt, Float, Decimal)');
      break;
    case 'unique':
      spec.fields.forEach((f) => field(f, 'unique'));
      break;
    case 'references': {
      const lf = field(spec.field, 'references');
      const target = byName.get(spec.entity);
      if (!target) {
        at(['entity'], `unknown entity "${spec.entity}"; expected one of ${[...byName.keys()].join(', ')}`);
        break;
      }
      const rf = target.fields.get(spec.targetField);
      if (!rf) at(['field'], `"${spec.targetField}" is not a field of ${target.name}`);
      else if (lf && !joinable(lf.type, rf.type)) at(['field'], `cannot compare ${e.name}.${spec.field} (${lf.type}) with ${target.name}.${spec.targetField} (${rf.type})`);
      break;
    }
    case 'rowCount':
    case 'sql':
      break;
  }
}

function joinable(a: FieldType, b: FieldType): boolean {
  if (a === b) return true;
  const family = (t: FieldType) => (t === 'ID' ? 'id' : NUMERIC_TYPES.has(t) ? 'num' : t === 'String' ? 'str' : t);
  const fa = family(a), fb = family(b);
  return fa === fb || fa === 'id' || fb === 'id';
}
