import {
  Kind,
  parse,
  print,
  type ArgumentNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { ExportShapeError } from './ExportShapeError';

/** Names the export adds to the caller's query; the gateway's schema never uses them. */
export const AFTER_VARIABLE = 'datagateExportAfter';
export const PAGE_ALIAS = 'datagateExportPage';

/** What an export (`datagate export`, the console's CSV download) sends, and where in each answer the rows are. */
export interface ExportQuery {
  /** The query to send (for a connection: with `after: $datagateExportAfter` and `pageInfo` added). */
  readonly text: string;
  /** Response key of the one root field. */
  readonly rootKey: string;
  /** A connection is followed page by page; anything else is one request. */
  readonly connection: null | { readonly rows: 'edges' | 'nodes'; readonly after: string | null };
  /** Columns of a flattened row: response-key paths to leaves (`rep.name`), in selection order. */
  readonly columns: readonly (readonly string[])[];
}

/**
 * Reads the caller's query: one operation, one root field that returns objects. A connection
 * (`edges { node }` or `nodes`) is rewritten to page: `after` becomes a variable (its value in the
 * query, if any, is the starting cursor) and `pageInfo { endCursor hasNextPage }` is added under an
 * alias, so the caller's own selection is answered unchanged.
 */
export function prepareExportQuery(text: string, variables: Record<string, unknown>, pageSize?: number): ExportQuery {
  let doc: DocumentNode;
  try {
    doc = parse(text);
  } catch (e) {
    throw new ExportShapeError(`the query does not parse: ${(e as Error).message}`);
  }
  const ops = doc.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (ops.length !== 1) throw new ExportShapeError(`the query file must hold exactly one operation, found ${ops.length}`);
  const op = ops[0];
  if (op.operation !== 'query') throw new ExportShapeError(`export runs queries only, found a ${op.operation}`);
  const fragments = new Map(doc.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
  const roots = op.selectionSet.selections.filter((s): s is FieldNode => s.kind === Kind.FIELD && s.name.value !== '__typename');
  if (roots.length !== 1 || roots.length !== op.selectionSet.selections.filter((s) => !(s.kind === Kind.FIELD && s.name.value === '__typename')).length)
    throw new ExportShapeError(
      `export reads one root field (one entity's list, connection, lookup or aggregate), found ${roots.length ? roots.map((r) => (r.alias ?? r.name).value).join(', ') : 'none'}: export each on its own`,
    );
  const root = roots[0];
  const rootKey = (root.alias ?? root.name).value;
  if (!root.selectionSet) throw new ExportShapeError(`"${rootKey}" returns no objects: export needs a root field with a selection of fields`);

  const edges = childField(root.selectionSet, 'edges', fragments);
  const edgesNode = edges?.selectionSet ? childField(edges.selectionSet, 'node', fragments) : undefined;
  const nodes = childField(root.selectionSet, 'nodes', fragments);
  const rowField = edgesNode ?? nodes;
  if (!rowField) {
    if (pageSize !== undefined) throw new ExportShapeError(`--page-size applies to a connection (edges { node } or nodes), and "${rootKey}" is not one`);
    return { text, rootKey, connection: null, columns: leafPaths(root.selectionSet, fragments) };
  }
  if (!rowField.selectionSet) throw new ExportShapeError(`"${rootKey}" selects its rows without fields`);

  const after = root.arguments?.find((a) => a.name.value === 'after');
  const start = after ? valueOf(after.value, variables) : null;
  if (start !== null && typeof start !== 'string') throw new ExportShapeError('`after` must be a cursor string');
  const args: ArgumentNode[] = (root.arguments ?? []).filter((a) => a.name.value !== 'after' && !(pageSize !== undefined && a.name.value === 'first'));
  args.push(argument('after', { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: AFTER_VARIABLE } }));
  if (pageSize !== undefined) args.push(argument('first', { kind: Kind.INT, value: String(pageSize) }));
  const pageInfo: FieldNode = {
    kind: Kind.FIELD,
    alias: { kind: Kind.NAME, value: PAGE_ALIAS },
    name: { kind: Kind.NAME, value: 'pageInfo' },
    selectionSet: { kind: Kind.SELECTION_SET, selections: ['endCursor', 'hasNextPage'].map((n) => ({ kind: Kind.FIELD, name: { kind: Kind.NAME, value: n } }) as FieldNode) },
  };
  const newRoot: FieldNode = { ...root, arguments: args, selectionSet: { ...root.selectionSet, selections: [...root.selectionSet.selections, pageInfo] } };
  const newOp: OperationDefinitionNode = {
    ...op,
    variableDefinitions: [
      ...(op.variableDefinitions ?? []).filter((v) => v.variable.name.value !== AFTER_VARIABLE),
      {
        kind: Kind.VARIABLE_DEFINITION,
        variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: AFTER_VARIABLE } },
        type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'String' } },
      },
    ],
    selectionSet: { ...op.selectionSet, selections: op.selectionSet.selections.map((s) => (s === root ? newRoot : s)) },
  };
  const newDoc: DocumentNode = { ...doc, definitions: doc.definitions.map((d) => (d === op ? newOp : d)) };
  return {
    text: print(newDoc),
    rootKey,
    connection: { rows: edgesNode ? 'edges' : 'nodes', after: start as string | null },
    columns: leafPaths(rowField.selectionSet, fragments),
  };
}

function argument(name: string, value: ValueNode): ArgumentNode {
  return { kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: name }, value };
}

function valueOf(v: ValueNode, variables: Record<string, unknown>): unknown {
  if (v.kind === Kind.VARIABLE) return variables[v.name.value] ?? null;
  if (v.kind === Kind.STRING) return v.value;
  if (v.kind === Kind.NULL) return null;
  return undefined;
}

/** The field answered under `name` (its response key), looking through fragments. */
function childField(set: SelectionSetNode, name: string, fragments: ReadonlyMap<string, FragmentDefinitionNode>): FieldNode | undefined {
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD && (s.alias ?? s.name).value === name) return s;
    const inner = s.kind === Kind.INLINE_FRAGMENT ? s.selectionSet : s.kind === Kind.FRAGMENT_SPREAD ? fragments.get(s.name.value)?.selectionSet : undefined;
    const found = inner && childField(inner, name, fragments);
    if (found) return found;
  }
  return undefined;
}

/** Response-key paths to every leaf of a selection, in order, each once. */
function leafPaths(set: SelectionSetNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>, prefix: readonly string[] = [], out = new Map<string, string[]>()): string[][] {
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) {
      const p = [...prefix, (s.alias ?? s.name).value];
      if (s.selectionSet) leafPaths(s.selectionSet, fragments, p, out);
      else if (!out.has(p.join('.'))) out.set(p.join('.'), p);
    } else {
      const inner = s.kind === Kind.INLINE_FRAGMENT ? s.selectionSet : fragments.get(s.name.value)?.selectionSet;
      if (inner) leafPaths(inner, fragments, prefix, out);
    }
  }
  return [...out.values()];
}
