import { SharedStatements } from '../../src/sources/SharedStatements';
import type { CancelSignal, Row } from '../../src/sources';

/**
 * The runs of one statement as the test drives them: each call of `start` is a run the test ends
 * by hand (`finish`, `fail`), and records the signal it was given.
 */
function statement() {
  const runs: { signal: CancelSignal; finish(rows: Row[]): void; fail(e: Error): void }[] = [];
  const start = (signal: CancelSignal) =>
    new Promise<Row[]>((finish, fail) => {
      runs.push({ signal, finish, fail });
    });
  return { runs, start };
}

const aborted = (signal: CancelSignal) => new Error(`left: ${String(signal.reason)}`);
const tick = () => new Promise((r) => setImmediate(r));

/** A request's signal the test aborts by hand (AbortController: what requests carry). */
const request = () => new AbortController();

describe('SharedStatements: identical statements overlapping in time run once, never from a run older than the request', () => {
  test('the first request runs at once; those arriving while it runs share the next run, which starts when it ends', async () => {
    const shared = new SharedStatements(aborted);
    const s = statement();
    const served: number[] = [];
    const hear = (n: number) => served.push(n);
    const first = shared.run('k', undefined, s.start, hear);
    expect(s.runs).toHaveLength(1);
    const later = [shared.run('k', undefined, s.start, hear), shared.run('k', undefined, s.start, hear), shared.run('k', undefined, s.start)];
    await tick();
    // Not joined to the running statement, which started before they asked.
    expect(s.runs).toHaveLength(1);
    s.runs[0].finish([{ n: 1 }]);
    expect(await first).toEqual([{ n: 1 }]);
    // Each waiter that asked hears how many requests its run answered: one for the first run.
    expect(served).toEqual([1]);
    await tick();
    expect(s.runs).toHaveLength(2);
    s.runs[1].finish([{ n: 2 }]);
    const answers = await Promise.all(later);
    expect(answers).toEqual([[{ n: 2 }], [{ n: 2 }], [{ n: 2 }]]);
    expect(served).toEqual([1, 3, 3]);
    // Copies: what one request does to its rows does not reach another.
    expect(answers[0][0]).not.toBe(answers[1][0]);
    expect(answers[1][0]).not.toBe(answers[2][0]);
    expect(shared.shared).toBe(2);
    expect(shared.active).toBe(0);
  });

  test('different keys never share', async () => {
    const shared = new SharedStatements(aborted);
    const a = statement();
    const b = statement();
    const pa = shared.run('a', undefined, a.start);
    const pb = shared.run('b', undefined, b.start);
    expect([a.runs.length, b.runs.length]).toEqual([1, 1]);
    a.runs[0].finish([{ k: 'a' }]);
    b.runs[0].finish([{ k: 'b' }]);
    expect(await Promise.all([pa, pb])).toEqual([[{ k: 'a' }], [{ k: 'b' }]]);
    expect(shared.shared).toBe(0);
  });

  test('a request that leaves stops waiting at once; the run goes on for the others and is not cancelled', async () => {
    const shared = new SharedStatements(aborted);
    const s = statement();
    const r1 = request();
    const r2 = request();
    const p1 = shared.run('k', r1.signal, s.start);
    const p2 = shared.run('k', r2.signal, s.start);
    // p2 waits for the next run; r1 alone is on the first.
    r2.abort('client gone');
    await expect(p2).rejects.toThrow('left: client gone');
    s.runs[0].finish([{ n: 1 }]);
    expect(await p1).toEqual([{ n: 1 }]);
    await tick();
    // Nobody waits for the next run any more: it never starts.
    expect(s.runs).toHaveLength(1);
    expect(shared.active).toBe(0);

    const p3 = shared.run('k', r1.signal, s.start);
    const r4 = request();
    const p4 = shared.run('k', r4.signal, s.start);
    const p5 = shared.run('k', undefined, s.start);
    await tick();
    s.runs[1].finish([]);
    await p3;
    await tick();
    r4.abort('deadline');
    await expect(p4).rejects.toThrow('left: deadline');
    // p5 still waits on the run both joined, and that run's signal has not aborted.
    expect(s.runs[2].signal.aborted).toBe(false);
    s.runs[2].finish([{ n: 3 }]);
    expect(await p5).toEqual([{ n: 3 }]);
  });

  test('when every request waiting for a running statement has left, its signal aborts (the runner cancels it on the server)', async () => {
    const shared = new SharedStatements(aborted);
    const s = statement();
    const r1 = request();
    const p1 = shared.run('k', r1.signal, s.start);
    expect(s.runs[0].signal.aborted).toBe(false);
    r1.abort('deadline');
    await expect(p1).rejects.toThrow('left: deadline');
    expect(s.runs[0].signal.aborted).toBe(true);
    expect(s.runs[0].signal.reason).toBe('deadline');
    // The cancelled run ends with an error nobody receives; a new request then runs afresh.
    s.runs[0].fail(new Error('cancelled'));
    await tick();
    const p2 = shared.run('k', undefined, s.start);
    expect(s.runs).toHaveLength(2);
    s.runs[1].finish([{ n: 2 }]);
    expect(await p2).toEqual([{ n: 2 }]);
  });

  test('a request whose signal already aborted is refused without a run', async () => {
    const shared = new SharedStatements(aborted);
    const s = statement();
    const r = request();
    r.abort('gone');
    await expect(shared.run('k', r.signal, s.start)).rejects.toThrow('left: gone');
    expect(s.runs).toHaveLength(0);
    expect(shared.active).toBe(0);
  });

  test('a failed run fails everyone who waited for it; the next run starts afresh and can succeed', async () => {
    const shared = new SharedStatements(aborted);
    const s = statement();
    const p1 = shared.run('k', undefined, s.start);
    const p2 = shared.run('k', undefined, s.start);
    const p3 = shared.run('k', undefined, s.start);
    s.runs[0].finish([{ n: 1 }]);
    await p1;
    await tick();
    s.runs[1].fail(new Error('SOURCE_TIMEOUT'));
    await expect(p2).rejects.toThrow('SOURCE_TIMEOUT');
    await expect(p3).rejects.toThrow('SOURCE_TIMEOUT');
    const p4 = shared.run('k', undefined, s.start);
    expect(s.runs).toHaveLength(3);
    s.runs[2].finish([{ n: 4 }]);
    expect(await p4).toEqual([{ n: 4 }]);
  });
});
