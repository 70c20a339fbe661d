import type { Knex } from 'knex';
import type { Dialect, SourceConfig } from '../config';
import { SOURCE_GUARD_DEFAULTS } from '../config/schema';
import type { FieldType } from '../model';
import type { Plan } from '../planning';
import type { BreakerOptions } from './CircuitBreaker';
import { abortError, createStatementRunner, type Connection, type RunStatement } from './createStatementRunner';
import { createNestedDecoder, createRowDecoder, decodeAggregate } from './decode';
import type { CancelSignal, CompiledQuery, Row, RunOptions, SourceAdapter } from './SourceAdapter';
import { resultKey } from './ResultCache';
import { SharedStatements } from './SharedStatements';
import { compilePlan } from './sql/compile';
import { parameterize, prepare, type Prepared } from './sql/params';
import type { SqlDialect } from './sql/SqlDialect';

export type { RunStatement } from './createStatementRunner';

type ShareStatements = NonNullable<SourceConfig['shareStatements']>;

export interface AdapterParts {
  name: string;
  dialect: Dialect;
  knex: Knex;
  sql: SqlDialect;
  run: RunStatement;
  /** From the source's config: statements that may wait for a connection, the circuit breaker, which identical statements share a run. */
  guard: { maxQueue: number; breaker: BreakerOptions; share: ShareStatements };
  /** Cancels the statement running on a connection (server engines only). */
  cancel?: (conn: Connection) => Promise<unknown>;
  /** Closes a connection that must not be lent again. */
  discard?: (conn: Connection) => void;
  onClose?: () => Promise<void>;
}

/** A source's queue bound and breaker, the defaults where its config (built by hand) leaves them out. */
export const guardOf = (cfg: SourceConfig): AdapterParts['guard'] => ({
  maxQueue: cfg.maxQueue ?? SOURCE_GUARD_DEFAULTS.maxQueue,
  breaker: cfg.breaker ?? SOURCE_GUARD_DEFAULTS.breaker,
  share: cfg.shareStatements ?? SOURCE_GUARD_DEFAULTS.shareStatements,
});

/** Statements kept per source; a deployment's query shapes are few, a flood of distinct shapes just starts over. */
const MAX_PREPARED = 2000;

/** RunOptions.shared as SharedStatements hears it: told only when the run answered more than this request. */
const servedBy = (told: RunOptions['shared']) => told && ((n: number) => (n > 1 ? told(n) : undefined));

/**
 * The engine-independent half of every adapter: plan → prepared statement (cached per plan
 * shape, so knex builds and compiles a shape once), bind, run, decode, classify errors.
 */
export function createAdapter(parts: AdapterParts): SourceAdapter {
  const { name, knex, sql } = parts;
  /**
   * A prepared statement, with the decoder of its rows (a select's fields, an aggregate's groups: its
   * shape names them) and of the related rows it reads inside them (SelectPlan.nested).
   */
  type Statement = Prepared & { name: string; decode: ((row: Row) => Row) | null; nested: ((row: Row) => void) | null };
  const prepared = new Map<string, Statement>();
  const decoders = new Map<string, ((row: Row) => Row) | null>();
  /** One decoder per (entity, fields, types decoded), built on first use. */
  const decoderFor = (entity: Plan['entity'], fields: readonly string[], needed?: ReadonlySet<FieldType>) => {
    const key = `${entity.name}\u0000${fields.join(',')}\u0000${needed ? 'some' : 'all'}`;
    let d = decoders.get(key);
    if (d === undefined) decoders.set(key, (d = createRowDecoder(entity, fields, needed)));
    return d;
  };
  const decodeResult = (plan: Plan, rows: Row[], { decode, nested }: Statement): Row[] => {
    switch (plan.kind) {
      case 'select': {
        if (decode) for (const r of rows) decode(r);
        if (nested) for (const r of rows) nested(r);
        return rows;
      }
      case 'count':
        return rows.map((r) => ({ count: Number(r.count) }));
      case 'aggregate': {
        return rows.map((r) => {
          decode?.(r);
          for (const a of plan.aggregates) {
            const field = a.field ? plan.entity.fields.get(a.field) : undefined;
            r[a.alias] = decodeAggregate(a.fn, field?.type, r[a.alias], field?.scale);
          }
          return r;
        });
      }
    }
  };
  let statements = 0;
  const { share, ...guard } = parts.guard;
  const runner = createStatementRunner({ source: name, knex, run: parts.run, ...guard, cancel: parts.cancel, discard: parts.discard });
  const sharing = new SharedStatements(abortError);
  const shares = (plan: Plan) => share === 'all' || (share === 'aggregates' && plan.kind !== 'select');

  const run = (sqlText: string, bindings: readonly unknown[], statementName: string, signal?: CancelSignal): Promise<Row[]> => {
    // Listeners on the source's knex see every statement, as they would for knex's own queries.
    if (knex.listenerCount('query')) knex.emit('query', { sql: sqlText, bindings, source: name });
    return runner(sqlText, bindings, statementName, signal);
  };

  const preparedFor = (plan: Plan) => {
    const { key, values, template } = parameterize(plan, !sql.capabilities.arrayParams);
    let p = prepared.get(key);
    if (!p) {
      if (prepared.size >= MAX_PREPARED) prepared.clear();
      const select = template.kind === 'select';
      p = {
        ...prepare(compilePlan(sql, template)),
        name: `dg_${name}_${++statements}`,
        decode:
          template.kind === 'select'
            ? decoderFor(template.entity, template.fields, sql.decodedTypes)
            : template.kind === 'aggregate'
              ? decoderFor(template.entity, template.groupBy)
              : null,
        nested: select ? createNestedDecoder(template.nested, sql.nestedRows?.list.kind) : null,
      };
      prepared.set(key, p);
    }
    return { p, values };
  };

  return {
    name,
    dialect: parts.dialect,
    capabilities: sql.capabilities,
    knex,
    compile: (plan) => compilePlan(sql, plan),
    run: (q: CompiledQuery, opts) => run(q.sql, q.bindings, '', opts?.signal),
    stats: () => {
      const st = runner.stats();
      return { ...st, totals: { ...st.totals, shared: sharing.shared } };
    },
    async execute(plan, opts) {
      const { p, values } = preparedFor(plan);
      const bound = p.bind(values);
      // Rows by key or page: a named statement, parsed once per connection, whose plan PostgreSQL may
      // cache. Aggregates and counts scan what the filter leaves, and the best plan depends on the values
      // (a generic plan walked an index where a scan was 40% cheaper): unnamed, planned on every run.
      const read = async (signal: CancelSignal | undefined) => decodeResult(plan, await run(p.sql, bound, plan.kind === 'select' ? p.name : '', signal), p);
      const shareKey = shares(plan) ? resultKey(name, p.sql, bound) : undefined;
      const statement = shareKey === undefined ? () => read(opts?.signal) : () => sharing.run(shareKey, opts?.signal, read, servedBy(opts?.shared));
      const cache = opts?.cache;
      const key = cache && (shareKey ?? resultKey(name, p.sql, bound));
      if (!cache || key === undefined) return statement();
      const { rows, ageMs } = await cache.store.through(key, cache.ttlMs, cache.refresh, statement);
      cache.ageMs = ageMs;
      return rows;
    },
    async ping() {
      await run('select 1', [], '');
    },
    async estimateRows(entity) {
      // Identifiers come from the model and are quoted by knex; values are bound.
      const table = entity.schema ? `${entity.schema}.${entity.table}` : entity.table;
      const exact = async () => {
        const { sql: text, bindings } = knex.count({ n: '*' }).from(table).toSQL();
        const rows = await run(text, bindings as unknown[], '');
        return Number(Object.values(rows[0] ?? {})[0] ?? 0);
      };
      const engine = sql.capabilities.engine;
      if (engine === 'postgres') {
        const qualified = knex.raw('??', [table]).toQuery();
        const rows = await run('select reltuples::float8 as n from pg_class where oid = to_regclass(?)', [qualified], '');
        const n = rows.length ? Number(rows[0].n) : null;
        return n === null || n < 0 ? exact() : Math.round(n);
      }
      if (engine === 'mysql') {
        const rows = await run(
          'select table_rows as n from information_schema.tables where table_schema = coalesce(?, database()) and table_name = ?',
          [entity.schema ?? null, entity.table],
          '',
        );
        const n = rows.length && rows[0].n !== null ? Number(rows[0].n) : null;
        return n === null ? exact() : n;
      }
      return exact();
    },
    async close() {
      await knex.destroy();
      await parts.onClose?.();
    },
  };
}
