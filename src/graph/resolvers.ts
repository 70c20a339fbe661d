import { getNamedType, type GraphQLFieldResolver, type GraphQLObjectType, type GraphQLOutputType, type GraphQLResolveInfo } from 'graphql';
import { badInput } from '../errors';
import type { Entity, Relationship } from '../model';
import { and, keysetAfter, type AggregateTerm } from '../planning';
import type { Row } from '../sources';
import { checkLimit, parseListArgs } from './args';
import { fieldsFor, flagsFor, relatedRows } from './columns';
import { aggregatableRows, readableRows, type RequestContext } from './context';
import { decodeCursor, encodeCursor, orderSignature } from './cursor';
import { runPlan } from './execute';
import { responsePath } from './lineage';
import { relationshipLoader } from './loaders';
import { nestedAlias, nestedSelects } from './nesting';
import { childSelection, subSelection } from './selection';

type Resolver = GraphQLFieldResolver<unknown, RequestContext, Record<string, unknown>>;

export function listResolver(entity: Entity): Resolver {
  return async (_p, args, ctx, info) => {
    const a = parseListArgs(ctx, entity, args);
    const sel = subSelection(info.fieldNodes, info);
    const computed = flagsFor(ctx.access.entity(entity.name), sel);
    const fields = fieldsFor(entity, sel);
    const nested = nestedSelects(ctx, entity, info.returnType, sel, info, { entity, where: a.where });
    return runPlan(ctx, { kind: 'select', entity, fields, where: a.where, orderBy: a.orderBy, limit: a.limit, offset: a.offset, computed, nested }, { path: responsePath(info.path) });
  };
}

export function byKeyResolver(entity: Entity): Resolver {
  return async (_p, args, ctx, info) => {
    const sel = subSelection(info.fieldNodes, info);
    const ea = ctx.access.entity(entity.name);
    const where = and(readableRows(ctx, entity), { kind: 'compare', op: 'eq', field: entity.key, value: args[entity.key] });
    const nested = nestedSelects(ctx, entity, info.returnType, sel, info, { entity, where });
    const rows = await runPlan(ctx, { kind: 'select', entity, fields: fieldsFor(entity, sel), where, orderBy: [], limit: 1, computed: flagsFor(ea, sel), nested }, { path: responsePath(info.path) });
    return rows[0] ?? null;
  };
}

/** The node type of a connection type (its `nodes` field's element type). */
function nodeType(connection: GraphQLOutputType): GraphQLOutputType {
  return (getNamedType(connection) as GraphQLObjectType).getFields().nodes.type;
}

export function connectionResolver(entity: Entity): Resolver {
  return async (_p, args, ctx, info) => {
    const { runtime } = ctx;
    const ea = ctx.access.entity(entity.name);
    const a = parseListArgs(ctx, entity, { where: args.where, orderBy: args.orderBy });
    const first = checkLimit(runtime, 'first', args.first, ea.view.maxRows);
    const sel = subSelection(info.fieldNodes, info);
    const nodeSel = new Map([...childSelection(childSelection(sel, 'edges', info), 'node', info), ...childSelection(sel, 'nodes', info)]);
    const orderFields = a.orderBy.map((t) => t.field);
    const fields = fieldsFor(entity, nodeSel, orderFields);
    const signature = orderSignature(entity, a.orderBy, ctx.access.view.key);
    let where = a.where;
    if (typeof args.after === 'string') where = and(where, keysetAfter(a.orderBy, decodeCursor(runtime.cursorKey, signature, a.orderBy, args.after)));
    else if (args.after !== undefined && args.after !== null) throw badInput('`after` must be a cursor string');
    const wantsRows = sel.has('edges') || sel.has('nodes') || sel.has('pageInfo');
    const path = responsePath(info.path);
    // Relationships of the nodes are read by the page's statement when the nodes sit at one path (edges or nodes, not both).
    const rowsAt = sel.has('edges') ? (sel.has('nodes') ? undefined : `${path}.edges.node`) : sel.has('nodes') ? `${path}.nodes` : undefined;
    const nested = rowsAt !== undefined ? nestedSelects(ctx, entity, nodeType(info.returnType), nodeSel, info, { entity, where }) : undefined;
    const [rows, total] = await Promise.all([
      wantsRows
        ? runPlan(ctx, { kind: 'select', entity, fields, where, orderBy: a.orderBy, limit: first + 1, computed: flagsFor(ea, nodeSel), nested }, { path, page: first, rowsAt })
        : Promise.resolve([] as Row[]),
      sel.has('totalCount') ? runPlan(ctx, { kind: 'count', entity, where: a.where }, { path }).then((r) => r[0].count as number) : Promise.resolve(null),
    ]);
    const hasNextPage = rows.length > first;
    const page = hasNextPage ? rows.slice(0, first) : rows;
    const cursorOf = (r: Row) => encodeCursor(runtime.cursorKey, signature, orderFields.map((f) => r[f] ?? null));
    const edges = sel.has('edges') ? page.map((node) => ({ node, cursor: cursorOf(node) })) : [];
    return {
      edges,
      nodes: page,
      totalCount: total,
      pageInfo: {
        hasNextPage,
        hasPreviousPage: args.after != null,
        startCursor: page.length ? cursorOf(page[0]) : null,
        endCursor: page.length ? cursorOf(page[page.length - 1]) : null,
      },
    };
  };
}

const AGG_FNS = ['sum', 'avg', 'min', 'max', 'countDistinct'] as const;

export function aggregateResolver(entity: Entity): Resolver {
  return async (_p, args, ctx, info) => {
    const { runtime } = ctx;
    const ea = ctx.access.entity(entity.name);
    // Aggregates run under the aggregate right's own row condition, which may differ from reading.
    const a = parseListArgs(ctx, entity, { where: args.where }, aggregatableRows(ctx, entity));
    const groupBy = (args.groupBy as string[] | undefined) ?? [];
    if (new Set(groupBy).size !== groupBy.length) throw badInput('`groupBy` names a field twice');
    const sel = subSelection(info.fieldNodes, info);
    const aggregates: AggregateTerm[] = [{ fn: 'count', alias: 'count' }];
    for (const fn of AGG_FNS)
      for (const f of childSelection(sel, fn, info).keys()) if (ea.view.aggregate?.has(f)) aggregates.push({ fn, field: f, alias: `${fn}__${f}` });
    const limit = checkLimit(runtime, 'limit', args.limit, ea.view.maxRows);
    const rows = await runPlan(ctx, { kind: 'aggregate', entity, where: a.where, groupBy, aggregates, limit: groupBy.length ? limit : undefined }, { path: responsePath(info.path) });
    return rows.map((r) => {
      const out: Record<string, unknown> = { count: r.count, group: Object.fromEntries(groupBy.map((g) => [g, r[g]])) };
      for (const fn of AGG_FNS) {
        const vals: Record<string, unknown> = {};
        for (const agg of aggregates) if (agg.fn === fn) vals[agg.field!] = r[agg.alias];
        out[fn] = vals;
      }
      return out;
    });
  };
}

export function relationshipResolver(rel: Relationship, target: Entity): Resolver {
  const locals = rel.on.map(([l]) => l);
  return (parent, args, ctx, info: GraphQLResolveInfo) => {
    const row = parent as Row;
    // Read by the parents' own statement (graph/nesting.ts): an empty list or null is an answer too.
    const read = row[nestedAlias(info.path.key as string)];
    if (read !== undefined) return read;
    const key = locals.map((l) => row[l]);
    if (key.some((v) => v === null || v === undefined)) return rel.many ? [] : null;
    let loader = ctx.perField.get(info.fieldNodes) as ReturnType<typeof relationshipLoader> | undefined;
    if (!loader) {
      // The target's own policy applies to what a relationship returns.
      const sel = subSelection(info.fieldNodes, info);
      const q = relatedRows(ctx, rel, target, args, sel);
      loader = relationshipLoader(ctx, {
        relationship: rel,
        target,
        ...q,
        nested: nestedSelects(ctx, target, info.returnType, sel, info, { entity: target, where: q.where }),
        signature: JSON.stringify([args, q.fields]),
        // Computed once per field occurrence: every parent of a list shares it, indexes left out.
        path: responsePath(info.path),
      });
      ctx.perField.set(info.fieldNodes, loader);
    }
    return loader.load(key);
  };
}

