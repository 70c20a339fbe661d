import type { Metric, Registry } from 'prom-client';

/**
 * A counter and a histogram for the per-request path, registered on a prom-client registry and
 * exposed by it exactly as prom-client's own Counter and Histogram are (same lines, same order,
 * same label escaping: the registry formats both). prom-client's labelled children validate and
 * hash their label values on every `inc`/`observe`, even through `.labels(…)`: ~7 µs a request
 * here for a request counter and two histograms. These resolve a child once per label values and
 * then only add.
 */
abstract class FastMetric<L extends string> {
  abstract readonly type: 'counter' | 'histogram';
  readonly aggregator = 'sum' as const;
  protected readonly children = new Map<string, { labels: Record<L, string> }>();

  constructor(
    readonly name: string,
    readonly help: string,
    protected readonly labelNames: readonly L[],
    registry: Registry,
  ) {
    // The registry's contract is an object with name, help, type and get(): prom-client's types list its own classes only.
    registry.registerMetric(this as unknown as Metric);
  }

  protected child<C extends { labels: Record<L, string> }>(values: readonly string[], create: (labels: Record<L, string>) => C): C {
    const key = values.length === 1 ? values[0] : values.join('\u0000');
    let c = this.children.get(key) as C | undefined;
    if (!c) {
      if (values.length !== this.labelNames.length) throw new Error(`${this.name}: ${this.labelNames.length} label values expected, got ${values.length}`);
      const labels = {} as Record<L, string>;
      this.labelNames.forEach((n, i) => (labels[n] = values[i]));
      this.children.set(key, (c = create(labels)));
    }
    return c;
  }

  /** The registry's text exposition reads this: labels as prom-client's own metrics give them. */
  abstract getForPromString(): Promise<{ name: string; help: string; type: string; aggregator: string; values: unknown[] }>;

  /** The JSON form (`registry.getMetricsAsJSON()`): each value's labels in one object. */
  async get() {
    const data = await this.getForPromString();
    const values = (data.values as { labels: object; sharedLabels?: object }[]).map(({ sharedLabels, labels, ...v }) => ({ ...v, labels: { ...labels, ...sharedLabels } }));
    return { ...data, values };
  }

  reset(): void {
    this.children.clear();
  }
}

class CounterChild<L extends string> {
  value = 0;
  constructor(readonly labels: Record<L, string>) {}
  inc(by = 1): void {
    this.value += by;
  }
}

export class FastCounter<L extends string> extends FastMetric<L> {
  readonly type = 'counter' as const;

  labels(...values: string[]): CounterChild<L> {
    return this.child(values, (labels) => new CounterChild(labels));
  }

  async getForPromString() {
    const values = [...this.children.values()].map((c) => ({ labels: c.labels, value: (c as CounterChild<L>).value }));
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

class HistogramChild<L extends string> {
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(
    readonly labels: Record<L, string>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }
  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]) i++;
    this.counts[i]++;
    this.sum += value;
    this.count++;
  }
}

export class FastHistogram<L extends string> extends FastMetric<L> {
  readonly type = 'histogram' as const;

  constructor(name: string, help: string, labelNames: readonly L[], private readonly buckets: readonly number[], registry: Registry) {
    super(name, help, labelNames, registry);
  }

  labels(...values: string[]): HistogramChild<L> {
    return this.child(values, (labels) => new HistogramChild(labels, this.buckets));
  }

  async getForPromString() {
    const values: unknown[] = [];
    const bucket = `${this.name}_bucket`;
    for (const c of this.children.values() as Iterable<HistogramChild<L>>) {
      let acc = 0;
      this.buckets.forEach((le, i) => {
        acc += c.counts[i];
        values.push({ labels: { le }, sharedLabels: c.labels, value: acc, metricName: bucket, exemplar: null });
      });
      values.push(
        { labels: { le: '+Inf' }, sharedLabels: c.labels, value: c.count, metricName: bucket, exemplar: null },
        { labels: {}, sharedLabels: c.labels, value: c.sum, metricName: `${this.name}_sum` },
        { labels: {}, sharedLabels: c.labels, value: c.count, metricName: `${this.name}_count` },
      );
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
