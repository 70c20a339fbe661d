import type { Knex } from 'knex';
import type { Dialect } from '../config';
import type { Plan } from '../planning';
import { classifySourceError } from './classifyError';
import { createRowDecoder, decodeAggregate } from './decode';
import type { CompiledQuery, Row, SourceAdapter } from './SourceAdapter';
import { compilePlan } from './sql/compile';
import type { SqlDialect } from './sql/SqlDialect';

export interface AdapterParts {
  name: string;
  dialect: Dialect;
  knex: Knex;
  sql: SqlDialect;
  /** Driver result of `knex.raw` → rows. */
  rowsOf(result: unknown): Row[];
  /** Client-side guard in ms on top of the server's own statement timeout. */
  queryTimeoutMs: number;
  onClose?: () => Promise<void>;
}

/** The engine-independent half of every adapter: compile, run, decode, classify errors. */
export function createAdapter(parts: AdapterParts): SourceAdapter {
  const { name, knex, sql, rowsOf } = parts;
  const decoderCache = new Map<string, (row: Row) => Row>();
  const decoderFor = (plan: Extract<Plan, { kind: 'select' }>) => {
    const key = `${plan.entity.name}\u0000${plan.fields.join(',')}`;
    let d = decoderCache.get(key);
    if (!d) decoderCache.set(key, (d = createRowDecoder(plan.entity, plan.fields)));
    return d;
  };
  const run = async (q: CompiledQuery): Promise<Row[]> => {
    try {
      const result = await knex.raw(q.sql, q.bindings as Knex.RawBinding[]).timeout(parts.queryTimeoutMs, { cancel: sql.capabilities.engine !== 'sqlite' });
      return rowsOf(result);
    } catch (e) {
      throw classifySourceError(name, e);
    }
  };
  return {
    name,
    dialect: parts.dialect,
    capabilities: sql.capabilities,
    knex,
    compile: (plan) => compilePlan(sql, plan),
    run,
    async execute(plan) {
      const rows = await run(compilePlan(sql, plan));
      switch (plan.kind) {
        case 'select': {
          const decode = decoderFor(plan);
          for (const r of rows) decode(r);
          return rows;
        }
        case 'count':
          return rows.map((r) => ({ count: Number(r.count) }));
        case 'aggregate': {
          const groupDecode = createRowDecoder(plan.entity, plan.groupBy);
          return rows.map((r) => {
            groupDecode(r);
            for (const a of plan.aggregates) r[a.alias] = decodeAggregate(a.fn, a.field ? plan.entity.fields.get(a.field)!.type : undefined, r[a.alias]);
            return r;
          });
        }
      }
    },
    async ping() {
      await run({ sql: 'select 1', bindings: [] });
    },
    async close() {
      await knex.destroy();
      await parts.onClose?.();
    },
  };
}
