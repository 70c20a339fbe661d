/** Assertions shared by the per-engine round trips: introspected source → YAML → the model loader. */
import { parseYaml } from '../../src/config';
import { buildModel, type Registry } from '../../src/model';
import type { IntrospectedSource, IntrospectedTable } from '../../src/sources/introspect';
import { toModelYaml, type ModelYaml } from '../../src/sources/introspect';

export function table(src: IntrospectedSource, name: string): IntrospectedTable {
  const t = src.tables.find((x) => x.name === name);
  if (!t) throw new Error(`table ${name} not introspected; got ${src.tables.map((x) => x.name).join(', ')}`);
  return t;
}

/** Renders the draft and loads it exactly as `loadModel` would load the file. */
export function renderAndLoad(src: IntrospectedSource, source: string, owner?: string): { draft: ModelYaml; registry: Registry } {
  const draft = toModelYaml(src, source, { owner });
  const registry = buildModel([parseYaml(`schema/${source}.yaml`, draft.text)], [source]);
  return { draft, registry };
}

/** Relationship of an entity as plain data, for toEqual. */
export function rel(registry: Registry, entity: string, name: string): { target: string; many: boolean; on: [string, string][] } | undefined {
  const r = registry.entity(entity).relationships.get(name);
  return r && { target: r.target, many: r.many, on: r.on.map(([a, b]) => [a, b]) };
}

export function fieldTypes(registry: Registry, entity: string): Record<string, string> {
  return Object.fromEntries([...registry.entity(entity).fields.values()].map((f) => [f.name, f.type]));
}
