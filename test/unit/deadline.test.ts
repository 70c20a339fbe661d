import { createRequestDeadline } from '../../src/graph/deadline';
import { ErrorCode } from '../../src/errors';

const codeOf = (r: unknown) => (r as { code?: string }).code;

describe('a request deadline and its signal', () => {
  test('at the timeout the signal aborts once with REQUEST_TIMEOUT; its listeners run in order, a removed one not at all', async () => {
    const d = createRequestDeadline(30);
    const calls: string[] = [];
    const a = () => calls.push('a');
    const b = () => calls.push('b');
    const c = () => calls.push('c');
    d.signal.addEventListener('abort', a, { once: true });
    d.signal.addEventListener('abort', b, { once: true });
    d.signal.addEventListener('abort', c, { once: true });
    d.signal.removeEventListener('abort', b);
    expect(d.signal.aborted).toBe(false);
    await new Promise((r) => setTimeout(r, 80));
    expect(d.signal.aborted).toBe(true);
    expect(codeOf(d.signal.reason)).toBe(ErrorCode.REQUEST_TIMEOUT);
    expect(calls).toEqual(['a', 'c']);
    // Aborted already: a late cancel changes nothing, and a listener added now never runs.
    d.cancel();
    d.signal.addEventListener('abort', a);
    expect(codeOf(d.signal.reason)).toBe(ErrorCode.REQUEST_TIMEOUT);
    expect(calls).toEqual(['a', 'c']);
    d.done();
  });

  test('cancel (the client went away) aborts with REQUEST_CANCELLED; a listener that throws neither stops the others nor escapes', () => {
    const d = createRequestDeadline(60_000);
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const calls: number[] = [];
    d.signal.addEventListener('abort', () => {
      throw new Error('boom with a value 4111111111111111');
    });
    d.signal.addEventListener('abort', () => calls.push(2));
    try {
      expect(() => d.cancel()).not.toThrow();
      expect(codeOf(d.signal.reason)).toBe(ErrorCode.REQUEST_CANCELLED);
      expect(calls).toEqual([2]);
      // Reported by the error's class only: its message may quote values.
      expect(warn.mock.calls).toEqual([["a request's cancellation step failed: Error", 'DatagateWarning']]);
    } finally {
      d.done();
      warn.mockRestore();
    }
  });

  test('done (the answer is out) stops the timer: the signal never aborts, and a late cancel changes nothing', async () => {
    const d = createRequestDeadline(20);
    let called = false;
    d.signal.addEventListener('abort', () => (called = true));
    d.done();
    d.cancel();
    await new Promise((r) => setTimeout(r, 60));
    expect([d.signal.aborted, d.signal.reason, called]).toEqual([false, undefined, false]);
  });
});
