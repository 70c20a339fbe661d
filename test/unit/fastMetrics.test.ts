import { Counter, Histogram, Registry } from 'prom-client';
import { FastCounter, FastHistogram } from '../../src/server/fastMetrics';

/**
 * The request path's counter and histogram (src/server/fastMetrics.ts) must expose exactly what
 * prom-client's own Counter and Histogram expose for the same observations: same lines, same order,
 * same escaping, in text and in JSON.
 */
const BUCKETS = [0.001, 0.01, 0.1, 1];
const observations: [string, string, number][] = [
  ['Q1', 'ok', 0.0004],
  ['Q1', 'ok', 0.001],
  ['Q2', 'partial', 0.05],
  ['Q1', 'ok', 0.3],
  ['we"ird\\label\nname', 'ok', 2.5],
  ['Q2', 'partial', 7],
  ['Q1', 'denied', 1],
  ['Q1', 'ok', Number.NaN],
];

function both() {
  const theirs = new Registry();
  const ours = new Registry();
  const h = new Histogram({ name: 'x_seconds', help: 'Latency.', labelNames: ['operation', 'outcome'], buckets: BUCKETS, registers: [theirs] });
  const c = new Counter({ name: 'x_total', help: 'Requests.', labelNames: ['operation', 'outcome'], registers: [theirs] });
  const fh = new FastHistogram('x_seconds', 'Latency.', ['operation', 'outcome'], BUCKETS, ours);
  const fc = new FastCounter('x_total', 'Requests.', ['operation', 'outcome'], ours);
  for (const [op, outcome, v] of observations) {
    // prom-client refuses a value that is not a number; ours drops it: neither counts it.
    if (Number.isFinite(v)) h.labels(op, outcome).observe(v);
    fh.labels(op, outcome).observe(v);
    c.labels(op, outcome).inc();
    fc.labels(op, outcome).inc();
  }
  return { theirs, ours, fh };
}

test('the text exposition is prom-client’s, byte for byte', async () => {
  const { theirs, ours } = both();
  const text = await ours.metrics();
  expect(text).toBe(await theirs.metrics());
  expect(text).toContain('x_seconds_bucket{le="0.001",operation="Q1",outcome="ok"} 2');
  expect(text).toContain('x_seconds_bucket{le="+Inf",operation="Q2",outcome="partial"} 2');
  expect(text).toContain('x_total{operation="we\\"ird\\\\label\\nname",outcome="ok"} 1');
});

test('the JSON form is prom-client’s', async () => {
  const { theirs, ours } = both();
  expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
});

test('a wrong number of label values is refused; reset empties', async () => {
  const { ours, fh } = both();
  expect(() => fh.labels('only-one')).toThrow(/2 label values expected, got 1/);
  ours.resetMetrics();
  expect(await ours.metrics()).not.toMatch(/^x_seconds_bucket/m);
});
