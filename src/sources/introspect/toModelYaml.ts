import { Document, Pair, Scalar, YAMLMap } from 'yaml';
import { lowerFirst, pluralize, RESERVED_ROOT_FIELDS, type FieldType } from '../../model';
import { entityNameOf, fieldNameOf, pascalCase, pluralOverride, referenceStem, uniqueName } from './naming';
import type { IntrospectedColumn, IntrospectedForeignKey, IntrospectedSource, IntrospectedTable } from './types';

export interface ModelYamlOptions {
  /** Team that owns the source (`owner:` in datagate.yaml). */
  owner?: string;
}

export interface ModelYaml {
  /** The draft model file, in the format `loadModel` reads. */
  text: string;
  /** One line per thing left out (unsupported column type, table without a usable key, foreign reference outside the schema). */
  warnings: string[];
  entities: string[];
}

interface DraftRelationship {
  name: string;
  entity: string;
  many: boolean;
  on: [string, string][];
}

interface DraftEntity {
  name: string;
  table: IntrospectedTable;
  key: string;
  keyGuessed: boolean;
  plural?: string;
  /** Every column in order; `field` undefined for a column left out. */
  columns: { column: IntrospectedColumn; field?: string }[];
  fieldOf: Map<string, string>;
  relationships: DraftRelationship[];
}


const ENGINE_NAMES = { postgres: 'PostgreSQL', mysql: 'MySQL/MariaDB', sqlite: 'SQLite' } as const;

/**
 * An introspected source → a draft model file: one entity per table or view with a usable key, fields for
 * every column of a supported type, relationships in both directions from foreign keys. Everything left out
 * is said twice: as a comment where it would have been, and in `warnings`.
 */
export function toModelYaml(src: IntrospectedSource, sourceName: string, opts: ModelYamlOptions = {}): ModelYaml {
  const warnings: string[] = [];
  const skipped: string[] = [];
  const entities = draftEntities(src, warnings, skipped);
  addRelationships(src, entities, warnings);
  entities.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const doc = new Document();
  const root = new YAMLMap();
  for (const [i, e] of entities.entries()) {
    const key = new Scalar(e.name);
    key.commentBefore = ` TODO: description, owner steward, tags`;
    if (i > 0) key.spaceBefore = true;
    root.items.push(new Pair(key, entityNode(doc, e, sourceName, opts)));
  }
  doc.contents = root;
  const header = [
    ` Draft model of source "${sourceName}" (${ENGINE_NAMES[src.engine]}, schema ${src.schema}), written by \`datagate introspect ${sourceName}\`.`,
    ' Review it before use: entity and relationship names, descriptions, owners, tags, retention and checks.',
  ];
  if (skipped.length) header.push(' Left out:', ...skipped.map((s) => `   ${s}`));
  doc.commentBefore = header.join('\n');
  const text = alignFlowMaps(doc.toString({ lineWidth: 0 })).replace(/\n*$/, '\n');
  return { text, warnings, entities: entities.map((e) => e.name) };
}

function draftEntities(src: IntrospectedSource, warnings: string[], skipped: string[]): DraftEntity[] {
  const out: DraftEntity[] = [];
  const names = new Set<string>();
  const roots = new Set(RESERVED_ROOT_FIELDS);
  for (const table of src.tables) {
    const columns: DraftEntity['columns'] = [];
    const fieldOf = new Map<string, string>();
    const fieldNames = new Set<string>();
    for (const column of table.columns) {
      if (!column.fieldType) {
        warnings.push(`${table.name}.${column.name}: unsupported type ${column.dbType || '(none declared)'}, column left out`);
        columns.push({ column });
        continue;
      }
      const field = uniqueName(fieldNameOf(column.name), (n) => fieldNames.has(n));
      fieldNames.add(field);
      fieldOf.set(column.name, field);
      columns.push({ column, field });
    }
    const keyColumn = pickKey(table);
    if (typeof keyColumn !== 'string') {
      const reason = `${table.name}: ${keyColumn.reason}, ${table.kind} left out (add it by hand with a key)`;
      warnings.push(reason);
      skipped.push(reason);
      continue;
    }
    const { name, plural } = nameEntity(table.name, names, roots);
    out.push({
      name,
      table,
      key: fieldOf.get(keyColumn)!,
      keyGuessed: !(table.primaryKey.length === 1 && table.primaryKey[0] === keyColumn),
      plural,
      columns,
      fieldOf,
      relationships: [],
    });
  }
  return out;
}

/**
 * A free entity name and plural: no other entity's name, and root fields (`customer`, `customers`,
 * `customersConnection`, `customersAggregate`) that no other entity and no built-in field has.
 */
function nameEntity(table: string, names: Set<string>, roots: Set<string>): { name: string; plural?: string } {
  const base = entityNameOf(table);
  for (let i = 0; ; i++) {
    const name = i === 0 ? base : i === 1 ? `${base}Record` : `${base}Record${i}`;
    if (names.has(name)) continue;
    const singular = lowerFirst(name);
    const override = pluralOverride(table, name);
    for (const plural of override ? [override, pluralize(singular)] : [pluralize(singular)]) {
      const fields = [singular, plural, `${plural}Connection`, `${plural}Aggregate`];
      if (plural === singular || fields.some((f) => roots.has(f))) continue;
      names.add(name);
      for (const f of fields) roots.add(f);
      return { name, plural: plural === override ? plural : undefined };
    }
  }
}

/** The single-column primary key; else a column named `id`; else why there is none. */
function pickKey(table: IntrospectedTable): string | { reason: string } {
  const usable = (c: IntrospectedColumn | undefined) => !!c?.fieldType && c.fieldType !== 'JSON';
  const col = (n: string) => table.columns.find((c) => c.name === n);
  if (table.primaryKey.length === 1 && usable(col(table.primaryKey[0]))) return table.primaryKey[0];
  const id = table.columns.find((c) => c.name === 'id') ?? table.columns.find((c) => c.name.toLowerCase() === 'id');
  if (id && usable(id)) return id.name;
  const pk = table.primaryKey;
  if (pk.length > 1) return { reason: `composite primary key (${pk.join(', ')}) and no id column` };
  if (pk.length === 1) return { reason: `primary key ${pk[0]} has an unsupported type (${col(pk[0])?.dbType}) and no id column` };
  return { reason: table.kind === 'view' ? 'views have no primary key and this one has no id column' : 'no primary key and no id column' };
}

function addRelationships(src: IntrospectedSource, entities: DraftEntity[], warnings: string[]): void {
  const byTable = new Map(entities.map((e) => [e.table.name, e]));
  const findEntity = (name: string) =>
    byTable.get(name) ?? entities.find((e) => e.table.name.toLowerCase() === name.toLowerCase()); // SQLite and MySQL match names loosely
  const taken = (e: DraftEntity) => (n: string) => e.fieldOf.has(n) || [...e.fieldOf.values()].includes(n) || e.relationships.some((r) => r.name === n);
  const add = (e: DraftEntity, base: string, r: Omit<DraftRelationship, 'name'>) => {
    let name = /^[A-Za-z]/.test(base) ? base : `rel${pascalCase(base)}`;
    if ([...e.fieldOf.values()].includes(name)) name += 'Rel';
    e.relationships.push({ name: uniqueName(name, taken(e)), ...r });
  };

  // Two passes, so that every entity lists its own references first and their names win any tie.
  const reverse: (() => void)[] = [];
  for (const from of entities) {
    // In column order, whatever order the catalog gave (SQLite lists foreign keys last first).
    const position = (fk: IntrospectedForeignKey) => from.table.columns.findIndex((c) => c.name === fk.columns[0]);
    const fks = [...from.table.foreignKeys].sort((a, b) => position(a) - position(b));
    for (const fk of fks) {
      const where = `${from.table.name}(${fk.columns.join(', ')}) → ${fk.refSchema ? `${fk.refSchema}.` : ''}${fk.refTable}`;
      if (fk.refSchema) {
        warnings.push(`${where}: references a table outside schema ${src.schema}, relationship left out`);
        continue;
      }
      const to = findEntity(fk.refTable);
      if (!to) continue; // the table was left out, and said so
      const local = fk.columns.map((c) => from.fieldOf.get(c));
      const remote = fk.refColumns.map((c) => to.fieldOf.get(c));
      if (local.some((f) => !f) || remote.some((f) => !f) || local.length !== remote.length) {
        warnings.push(`${where}: a key column has an unsupported type, relationship left out`);
        continue;
      }
      const pairs = local.map((l, i) => [l!, remote[i]!] as [string, string]);
      // Two references to the same table, or one to itself: names from the columns (`billingAddress`, `manager`).
      const ambiguous = to === from || fks.filter((f) => !f.refSchema && findEntity(f.refTable) === to).length > 1;
      const stem = referenceStem(fk.columns);
      add(from, ambiguous ? stem : lowerFirst(to.name), { entity: to.name, many: false, on: pairs });
      // The referencing column alone being the key makes it one-to-one.
      const oneToOne = pairs.length === 1 && pairs[0][0] === from.key;
      const name = oneToOne ? lowerFirst(from.name) : (from.plural ?? pluralize(lowerFirst(from.name)));
      reverse.push(() =>
        add(to, ambiguous ? `${name}By${pascalCase(stem)}` : name, { entity: from.name, many: !oneToOne, on: pairs.map(([l, r]) => [r, l]) }),
      );
    }
  }
  for (const r of reverse) r();
}

function entityNode(doc: Document, e: DraftEntity, sourceName: string, opts: ModelYamlOptions): YAMLMap {
  const body: Record<string, unknown> = { source: sourceName, table: e.table.name };
  if (e.table.schema) body.schema = e.table.schema;
  body.key = e.key;
  if (e.plural) body.plural = e.plural;
  if (e.table.comment) body.description = e.table.comment;
  const owner = doc.createNode(opts.owner ? { team: opts.owner } : {}) as YAMLMap;
  owner.flow = true;
  body.owner = owner;
  const node = doc.createNode(body) as YAMLMap;
  if (e.table.kind === 'view') (node.get('table', true) as Scalar).comment = ' a view';
  if (e.keyGuessed) (node.get('key', true) as Scalar).comment = ` guessed: the ${e.table.kind} has no single-column primary key; check ${e.key} is unique`;

  const fields = new YAMLMap();
  let pending: string[] = [];
  for (const { column, field } of e.columns) {
    if (!field) {
      pending.push(` ${column.name}: unsupported type ${column.dbType || '(none declared)'}: column left out`);
      continue;
    }
    const value = doc.createNode(fieldBody(column, field, field === e.key)) as YAMLMap;
    value.flow = true;
    const key = new Scalar(field);
    if (pending.length) key.commentBefore = pending.join('\n');
    pending = [];
    fields.items.push(new Pair(key, value));
  }
  if (pending.length) fields.comment = pending.join('\n');
  node.items.push(new Pair(new Scalar('fields'), fields));

  if (e.relationships.length) {
    const rels = new YAMLMap();
    for (const r of e.relationships) {
      const value = doc.createNode({ entity: r.entity, many: r.many, on: Object.fromEntries(r.on) }) as YAMLMap;
      value.flow = true;
      rels.items.push(new Pair(new Scalar(r.name), value));
    }
    node.items.push(new Pair(new Scalar('relationships'), rels));
  }
  return node;
}

function fieldBody(c: IntrospectedColumn, field: string, isKey: boolean): Record<string, unknown> {
  const body: { type: FieldType; column?: string; nullable?: boolean; description?: string; scale?: number } = { type: c.fieldType! };
  if (field !== c.name) body.column = c.name;
  // decimal(12,2) / numeric(12,2): the scale prints doubles from engines without exact decimals.
  const scale = c.fieldType === 'Decimal' ? /\(\s*\d+\s*,\s*(\d+)\s*\)/.exec(c.dbType)?.[1] : undefined;
  if (scale !== undefined) body.scale = Number(scale);
  // loadModel reads a missing `nullable` as true, except on the key.
  if (!c.nullable && !isKey) body.nullable = false;
  if (c.comment) body.description = c.comment;
  return body;
}

/** Lines up the `{` of consecutive `name: { … }` lines at the same indent, as a person would write them. */
function alignFlowMaps(text: string): string {
  const lines = text.split('\n');
  const entry = /^(\s+)([A-Za-z][A-Za-z0-9_]*): \{/;
  for (let i = 0; i < lines.length; ) {
    const m = entry.exec(lines[i]);
    if (!m) {
      i++;
      continue;
    }
    const indent = m[1];
    const run: number[] = [];
    let j = i;
    for (; j < lines.length; j++) {
      const mj = entry.exec(lines[j]);
      if (mj && mj[1] === indent) run.push(j);
      else if (!(lines[j].startsWith(`${indent}#`))) break;
    }
    const width = Math.max(...run.map((k) => entry.exec(lines[k])![2].length));
    for (const k of run) lines[k] = lines[k].replace(entry, (_all, ind: string, name: string) => `${ind}${name}:${' '.repeat(width - name.length + 1)}{`);
    i = j;
  }
  return lines.join('\n');
}
