import { Kind, type FieldNode, type FragmentDefinitionNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/** Selected sub-fields by field name (not alias): several aliases of one field merge. */
export type Selection = Map<string, FieldNode[]>;

interface Env {
  fragments: Record<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
}

function included(node: { directives?: readonly { name: { value: string }; arguments?: readonly { name: { value: string }; value: unknown }[] }[] }, env: Env): boolean {
  for (const d of node.directives ?? []) {
    if (d.name.value !== 'skip' && d.name.value !== 'include') continue;
    const arg = d.arguments?.find((a) => a.name.value === 'if')?.value as { kind: string; value?: boolean; name?: { value: string } } | undefined;
    const value = arg?.kind === Kind.VARIABLE ? Boolean(env.variables[arg.name!.value]) : Boolean(arg?.value);
    if (d.name.value === 'skip' ? value : !value) return false;
  }
  return true;
}

function collect(set: SelectionSetNode | undefined, env: Env, out: Selection, seen: Set<string>): void {
  if (!set) return;
  for (const sel of set.selections) {
    if (!included(sel, env)) continue;
    if (sel.kind === Kind.FIELD) {
      const name = sel.name.value;
      const list = out.get(name);
      if (list) list.push(sel);
      else out.set(name, [sel]);
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      collect(sel.selectionSet, env, out, seen);
    } else {
      const name = sel.name.value;
      if (seen.has(name)) continue;
      seen.add(name);
      collect(env.fragments[name]?.selectionSet, env, out, seen);
    }
  }
}

/** Sub-fields selected under `nodes` (merged over aliases and fragments, honouring @skip/@include). */
export function subSelection(nodes: readonly FieldNode[], info: Pick<GraphQLResolveInfo, 'fragments' | 'variableValues'>): Selection {
  const out: Selection = new Map();
  const env = { fragments: info.fragments, variables: info.variableValues };
  const seen = new Set<string>();
  for (const n of nodes) collect(n.selectionSet, env, out, seen);
  return out;
}

/** Sub-fields of one named child, e.g. `edges` → `node`. */
export function childSelection(sel: Selection, name: string, info: Pick<GraphQLResolveInfo, 'fragments' | 'variableValues'>): Selection {
  const nodes = sel.get(name);
  return nodes ? subSelection(nodes, info) : new Map();
}
