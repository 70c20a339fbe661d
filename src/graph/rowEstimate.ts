import {
  getDirectiveValues,
  getNamedType,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isObjectType,
  Kind,
  valueFromASTUntyped,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import type { LimitValues } from '../config';
import { DatagateError, ErrorCode } from '../errors';
import type { Registry } from '../model';
import type { RoleSetView } from '../policy';
import { checkLimit } from './args';

/** A field that returns rows: how many, per parent, is read from its arguments. */
interface RowField {
  readonly kind: 'list' | 'connection' | 'aggregate' | 'one';
  /** The target entity's row cap for this role set (policies' maxRows). */
  readonly maxRows?: number;
}

/** `Type.field` → what the field returns, for the fields of one role set's data graph. */
export type RowFields = ReadonlyMap<string, RowField>;

/** The row-returning fields of a role set's schema, named as buildDataQueryFields names them. */
export function rowFieldsOf(registry: Registry, view: RoleSetView): RowFields {
  const out = new Map<string, RowField>();
  for (const v of view.entities.values()) {
    const e = v.entity;
    if (v.read) {
      out.set(`Query.${e.plural}`, { kind: 'list', maxRows: v.maxRows });
      out.set(`Query.${e.singular}`, { kind: 'one' });
      out.set(`Query.${e.plural}Connection`, { kind: 'connection', maxRows: v.maxRows });
      for (const rel of v.relationships)
        out.set(`${e.name}.${rel.name}`, rel.many ? { kind: 'list', maxRows: view.entities.get(rel.target)?.maxRows } : { kind: 'one' });
    }
    if (v.aggregate) out.set(`Query.${e.plural}Aggregate`, { kind: 'aggregate', maxRows: v.maxRows });
  }
  void registry;
  return out;
}

/** One product of the estimate: a list and the lists above it (`customers 100 × orders 100`). */
export interface RowTerm {
  readonly chain: readonly { readonly name: string; readonly rows: number }[];
  readonly rows: number;
}

export interface RowEstimate {
  readonly rows: number;
  readonly terms: readonly RowTerm[];
  /**
   * Whether a variable decided any part of it (a `limit`/`first`/`groupBy` or an @skip/@include read
   * from a variable): when none did, every request of the operation estimates the same.
   */
  readonly usesVariables: boolean;
}

/** Whether a value as written in the document reads a variable, at any depth (`[$a]`, `{x: $b}`). */
function readsVariable(v: ValueNode): boolean {
  if (v.kind === Kind.VARIABLE) return true;
  if (v.kind === Kind.LIST) return v.values.some(readsVariable);
  if (v.kind === Kind.OBJECT) return v.fields.some((f) => readsVariable(f.value));
  return false;
}

/**
 * The most rows an operation could return, before any SQL runs: each list's `limit`/`first` (or the
 * default), multiplied down nested lists, summed over the operation; a to-one relationship counts one
 * per parent, an aggregate its groups (one without groupBy). A `limit`/`first` above the maximum is
 * refused here with the resolvers' own check, so a nested list's excess stops the request before its
 * parents are read. Fields skipped by @skip/@include are not counted.
 */
export function estimateRows(
  schema: GraphQLSchema,
  fields: RowFields,
  limits: Pick<LimitValues, 'defaultLimit' | 'maxLimit'>,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): RowEstimate {
  const terms: RowTerm[] = [];
  let usesVariables = false;
  const runtime = { limits } as Parameters<typeof checkLimit>[0];
  const included = (node: FieldNode | { directives?: FieldNode['directives'] }) => {
    if (!node.directives?.length) return true;
    if (!usesVariables && node.directives.some((d) => d.arguments?.some((a) => readsVariable(a.value)))) usesVariables = true;
    if (getDirectiveValues(GraphQLSkipDirective, node, variables)?.if === true) return false;
    return getDirectiveValues(GraphQLIncludeDirective, node, variables)?.if !== false;
  };
  /** Fields by response key and the type they are selected on, as execution merges them. */
  const collect = (type: string, sets: readonly SelectionSetNode[], out = new Map<string, { type: string; nodes: FieldNode[] }>(), seen = new Set<string>()) => {
    for (const set of sets)
      for (const s of set.selections) {
        if (!included(s)) continue;
        if (s.kind === Kind.FIELD) {
          const key = `${type}\u0000${s.alias?.value ?? s.name.value}`;
          const at = out.get(key);
          if (at) at.nodes.push(s);
          else out.set(key, { type, nodes: [s] });
        } else if (s.kind === Kind.INLINE_FRAGMENT) collect(s.typeCondition?.name.value ?? type, [s.selectionSet], out, seen);
        else if (!seen.has(s.name.value)) {
          seen.add(s.name.value);
          const f = fragments.get(s.name.value);
          if (f) collect(f.typeCondition.name.value, [f.selectionSet], out, seen);
        }
      }
    return out;
  };
  const arg = (node: FieldNode, name: string) => {
    const a = node.arguments?.find((x) => x.name.value === name);
    if (!a) return undefined;
    if (!usesVariables && readsVariable(a.value)) usesVariables = true;
    return valueFromASTUntyped(a.value, variables);
  };
  const pageOf = (node: FieldNode, name: string, maxRows: number | undefined, above: RowTerm['chain']) => {
    const v = arg(node, name);
    try {
      // A value of the wrong kind is the resolver's to refuse (BAD_USER_INPUT); estimate it as the default.
      return checkLimit(runtime, name, typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined, maxRows);
    } catch (e) {
      // Refused before execution, so the error has no GraphQL path: it names the field itself.
      if (!(e instanceof DatagateError)) throw e;
      const field = [...above.map((t) => t.name), node.alias?.value ?? node.name.value].join('.');
      throw new DatagateError(e.code, `${field}: ${e.message}`, { ...e.details, field });
    }
  };
  const walk = (type: string, sets: readonly SelectionSetNode[], above: RowTerm['chain'], multiplier: number) => {
    const parent = schema.getType(type);
    if (!isObjectType(parent)) return;
    const defs = parent.getFields();
    for (const { nodes } of collect(type, sets).values()) {
      const node = nodes[0];
      const def = defs[node.name.value];
      if (!def) continue;
      const child = getNamedType(def.type).name;
      const subs = nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
      const rf = fields.get(`${type}.${node.name.value}`);
      if (!rf) {
        walk(child, subs, above, multiplier);
        continue;
      }
      let n: number;
      switch (rf.kind) {
        case 'one':
          n = 1;
          break;
        case 'list':
          n = pageOf(node, 'limit', rf.maxRows, above);
          break;
        case 'connection':
          n = pageOf(node, 'first', rf.maxRows, above);
          break;
        case 'aggregate': {
          const groupBy = arg(node, 'groupBy');
          const groups = pageOf(node, 'limit', rf.maxRows, above);
          n = Array.isArray(groupBy) ? (groupBy.length ? groups : 1) : groupBy ? groups : 1;
          break;
        }
      }
      const chain = [...above, { name: node.alias?.value ?? node.name.value, rows: n }];
      terms.push({ chain, rows: multiplier * n });
      if (rf.kind !== 'aggregate') walk(child, subs, chain, multiplier * n);
    }
  };
  const root = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  if (root) walk(root.name, [operation.selectionSet], [], 1);
  return { rows: terms.reduce((s, t) => s + t.rows, 0), terms, usesVariables };
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** LIMIT_EXCEEDED saying the estimate, the largest product it holds, and the budget. */
export function rowBudgetError(estimate: RowEstimate, budget: number): DatagateError {
  const top = estimate.terms.reduce((a, b) => (b.rows > a.rows ? b : a));
  const product = top.chain.length > 1 ? `${top.chain.map((c) => `${c.name} ${fmt(c.rows)}`).join(' × ')} = ${fmt(top.rows)}` : `${top.chain[0].name} ${fmt(top.rows)}`;
  const rest = estimate.terms.length - 1;
  const more = rest ? `, and ${fmt(estimate.rows - top.rows)} from ${rest} other list${rest === 1 ? '' : 's'}` : '';
  return new DatagateError(
    ErrorCode.LIMIT_EXCEEDED,
    `this request could return up to ${fmt(estimate.rows)} rows (${product}${more}); your budget is ${fmt(budget)} (limits.rowBudget): ask for fewer rows with limit/first, or page through a connection`,
    { estimate: estimate.rows, budget },
  );
}
