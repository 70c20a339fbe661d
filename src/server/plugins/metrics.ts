import type { ApolloServerPlugin } from '@apollo/server';
import { getOperationAST } from 'graphql';
import type { Registry } from 'prom-client';
import { FastCounter, FastHistogram } from '../fastMetrics';
import type { RequestContext } from '../../graph';
import { logs, type Logger } from '../logger';
import { outcomeOfResponse } from './audit';

/** What one request was, as metrics and the access log name it. */
export interface RequestSummary {
  readonly operation: string;
  readonly roleSet: string;
  readonly outcome: string;
}

/** Operation names are the client's to choose: past this many distinct ones, new names count as `(other)`. */
export const MAX_OPERATION_LABELS = 200;
/** Role sets include grants, which are per user: past this many, `(other)`. */
export const MAX_ROLE_SET_LABELS = 100;
export const ANONYMOUS_OPERATION = '(anonymous)';
export const OTHER_LABEL = '(other)';

/** A label whose distinct values are capped; parentheses never occur in a GraphQL name, so `(other)` cannot collide. */
class BoundedLabel {
  private readonly seen = new Set<string>();
  constructor(private readonly max: number) {}
  of(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max) return OTHER_LABEL;
    this.seen.add(value);
    return value;
  }
}

const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * `datagate_requests_total{operation,role_set,outcome}` and `datagate_request_duration_seconds{operation,outcome}`,
 * fed by the metrics plugin for GraphQL operations and by the HTTP layer for requests refused before
 * Apollo (401, 403, 413, bad JSON). Outcomes: `ok | partial | denied | error` as in the audit record,
 * `rejected` for a request refused before it was read as GraphQL.
 */
export class RequestMetrics {
  private readonly total: FastCounter<'operation' | 'role_set' | 'outcome'>;
  private readonly duration: FastHistogram<'operation' | 'outcome'>;
  private readonly operations = new BoundedLabel(MAX_OPERATION_LABELS);
  private readonly roleSets = new BoundedLabel(MAX_ROLE_SET_LABELS);
  /** Both children of each label combination, found with one lookup. */
  private readonly children = new Map<string, { total: { inc(): void }; duration: { observe(v: number): void } }>();
  /**
   * The summary of each GraphQL request for the HTTP layer's access log line, keyed by the request's
   * trace array: Apollo hands plugins a shallow copy of the context, whose members are the request's own.
   */
  readonly summaries = new WeakMap<object, RequestSummary>();

  constructor(registry: Registry) {
    this.total = new FastCounter('datagate_requests_total', 'Requests by operation name (named operations, capped), role set and outcome.', ['operation', 'role_set', 'outcome'], registry);
    this.duration = new FastHistogram('datagate_request_duration_seconds', 'Request latency by operation name and outcome, as the gateway measures it.', ['operation', 'outcome'], REQUEST_BUCKETS, registry);
  }

  observe(operationName: string | null | undefined, roleSet: string, outcome: string, seconds: number): RequestSummary {
    const operation = operationName ? this.operations.of(operationName) : ANONYMOUS_OPERATION;
    const role = this.roleSets.of(roleSet);
    const key = `${operation}\u0000${role}\u0000${outcome}`;
    let c = this.children.get(key);
    if (!c) {
      c = { total: this.total.labels(operation, role, outcome), duration: this.duration.labels(operation, outcome) };
      this.children.set(key, c);
    }
    c.total.inc();
    c.duration.observe(seconds);
    return { operation, roleSet: role, outcome };
  }
}

/**
 * Counts every GraphQL operation when its response is ready, and at debug level logs the statements
 * it ran (source, entity, kind, row count, milliseconds: never values).
 */
export function metricsPlugin(metrics: RequestMetrics, log: Logger): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse(rc) {
          const seconds = (performance.now() - started) / 1000;
          // Apollo sets operationName (null for an anonymous one) once the operation resolves; before that, the document says.
          const name =
            rc.operationName !== undefined ? rc.operationName : rc.document ? (getOperationAST(rc.document, rc.request.operationName)?.name?.value ?? null) : (rc.request.operationName ?? null);
          const ctx = rc.contextValue;
          metrics.summaries.set(ctx.trace, metrics.observe(name, ctx.access.view.key, outcomeOfResponse(rc), seconds));
          if (ctx.trace.length && logs(log, 'debug'))
            log({
              level: 'debug',
              requestId: ctx.requestId,
              msg: 'statements',
              statements: ctx.trace.map((t) => ({ source: t.source, entity: t.entity, kind: t.kind, rows: t.rows, ms: Math.round(t.ms * 1000) / 1000, path: t.path })),
            });
        },
      };
    },
  };
}
