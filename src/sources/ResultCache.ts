import type { Row } from './SourceAdapter';

/**
 * Results of statements that a request marked `@cached` (Hasura's directive): kept in memory for
 * the gateway, all sources together, and served to later requests that allow an answer that old.
 *
 * Why it cannot leak across policies: an entry's key is the source, the statement's SQL text and
 * its bound values. Every row condition a policy adds (and every key a cross-source condition was
 * resolved into) is in that text or those values, so two callers share an entry only when the
 * database would give both the same rows. Masks are applied after this cache, per request; the
 * rows kept here are the source's own and never leave the process except through a request that
 * ran the same statement.
 *
 * - Freshness is the reader's: an entry serves a request only while it is younger than the
 *   request's ttl (so a short ttl never gets an answer cached for a longer one), and nothing is
 *   kept past the deployment's `cache.maxTtl`.
 * - Memory: entries are counted by an estimate of their size; past `maxBytes` the least recently
 *   used go. An entry larger than an eighth of the budget is not kept.
 * - Concurrent misses of one key run the statement once; the others wait for it (and run their
 *   own if it fails: an error is never cached or shared).
 * - Rows are shared between requests: they are kept as copies and handed out as copies, so that
 *   nothing a request does to its rows reaches another.
 */
export class ResultCache {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<Entry>>();
  private bytes = 0;
  private counts = { hits: 0, misses: 0, evictions: 0 };

  constructor(
    readonly maxBytes: number,
    readonly maxTtlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Whether `@cached` does anything: a zero budget or ttl turns it off. */
  get enabled(): boolean {
    return this.maxBytes > 0 && this.maxTtlMs > 0;
  }

  /**
   * The rows of `key` no older than `ttlMs` (or fresh ones from `load` on a miss or with `refresh`),
   * and how old they are (0 when this call ran the statement or shared a running one).
   */
  async through(key: string, ttlMs: number, refresh: boolean, load: () => Promise<Row[]>): Promise<{ rows: Row[]; ageMs: number }> {
    const now = this.clock();
    const ttl = Math.min(ttlMs, this.maxTtlMs);
    if (!refresh) {
      const hit = this.entries.get(key);
      if (hit && now - hit.at <= ttl) {
        // Most recently used goes last: eviction takes the map's first entries.
        this.entries.delete(key);
        this.entries.set(key, hit);
        this.counts.hits++;
        return { rows: copy(hit.rows), ageMs: now - hit.at };
      }
      const running = this.pending.get(key);
      if (running) {
        try {
          const e = await running;
          this.counts.hits++;
          return { rows: copy(e.rows), ageMs: 0 };
        } catch {
          // The statement it shared failed (or its request was cancelled): run one of its own.
        }
      }
    }
    this.counts.misses++;
    // The caller that ran the statement keeps its own rows; the cache and the waiters get copies.
    let own: Row[] = [];
    const job = load().then((rows) => {
      own = rows;
      const e: Entry = { rows: copy(rows), at: this.clock(), size: sizeOf(rows) };
      this.store(key, e);
      return e;
    });
    this.pending.set(key, job);
    const clear = () => {
      if (this.pending.get(key) === job) this.pending.delete(key);
    };
    job.then(clear, clear);
    await job;
    return { rows: own, ageMs: 0 };
  }

  /** Drops everything (tests, and a deployment that wants fresh answers now). */
  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  /** What metrics read at scrape time. */
  stats(): { entries: number; bytes: number; hits: number; misses: number; evictions: number } {
    return { entries: this.entries.size, bytes: this.bytes, ...this.counts };
  }

  private store(key: string, e: Entry): void {
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.bytes -= old.size;
    }
    if (e.size > this.maxBytes / 8) return;
    this.entries.set(key, e);
    this.bytes += e.size;
    const now = this.clock();
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes && now - v.at <= this.maxTtlMs) break;
      this.entries.delete(k);
      this.bytes -= v.size;
      this.counts.evictions++;
    }
  }
}

interface Entry {
  readonly rows: readonly Row[];
  readonly at: number;
  readonly size: number;
}

const copy = (rows: readonly Row[]): Row[] => rows.map((r) => ({ ...r }));

/** About how many bytes the rows hold: strings at two bytes a character, 16 per other value, 64 per row. */
function sizeOf(rows: readonly Row[]): number {
  let n = 64;
  for (const r of rows) {
    n += 64;
    for (const k in r) {
      const v = r[k];
      n += 16 + (typeof v === 'string' ? 2 * v.length : typeof v === 'object' && v !== null ? 2 * safeLength(v) : 0);
    }
  }
  return n;
}

function safeLength(v: object): number {
  try {
    return JSON.stringify(v)?.length ?? 0;
  } catch {
    return 1024;
  }
}

/** A statement's cache key: source, SQL text and bound values; undefined when a value has no stable text (the statement then runs uncached). */
export function resultKey(source: string, sql: string, bindings: readonly unknown[]): string | undefined {
  try {
    return `${source}\u0000${sql}\u0000${JSON.stringify(bindings)}`;
  } catch {
    return undefined;
  }
}
