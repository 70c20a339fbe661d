import type { Registry as MetricsRegistry } from 'prom-client';
import type { MetadataStore } from '../store';

/**
 * The governance plane as the server and the hand-written resolvers see it: one object per gateway,
 * built at start in src/server/createGateway.ts and reached by resolvers through `ctx.governance`.
 * Each part lives in its own folder under src/governance/.
 */
export interface Governance {
  /** Access requests, grants, audit records and quality results (src/store). */
  readonly store: MetadataStore;
  /** The gateway's Prometheus registry, served at /metrics: each part registers its own metrics here. */
  readonly metrics: MetricsRegistry;
}
