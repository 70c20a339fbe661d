import type { Registry as MetricsRegistry } from 'prom-client';
import type { MetadataStore } from '../store';
import type { AuditLog } from './audit';
import type { Entity } from '../model';
import type { AccessBook } from './access';
import type { QualityMonitor } from './quality';

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
  /** Access requests, owners' decisions and the grants they give (src/governance/access). */
  readonly access: AccessBook;
  /** Row counts of the catalog: engine statistics, cached a minute per entity. */
  readonly rowEstimate: (entity: Entity) => Promise<number | null>;
  /** Data quality: the latest verdicts per entity, the schedule, the history (src/governance/quality). */
  readonly quality: QualityMonitor;
  /** The audit log's queue and status (src/governance/audit): the audit plugin feeds it, `auditLog` reads the store. */
  readonly audit: AuditLog;
}
