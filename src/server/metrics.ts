import http from 'node:http';
import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The gateway's Prometheus registry: one per gateway (not prom-client's global one), so two gateways
 * in one process (tests, replicas side by side) never mix their figures. Parts register their own
 * metrics on it (audit queue, quality results, requests) and `/metrics` serves it.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'datagate_process_' });
  return registry;
}

/** The `/metrics` route: Prometheus text format. */
export function metricsRoute(registry: Registry) {
  return async (_req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const body = await registry.metrics();
    res.writeHead(200, { 'content-type': registry.contentType, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
}
