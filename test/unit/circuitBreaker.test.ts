import { CircuitBreaker } from '../../src/sources/CircuitBreaker';

/** A breaker on a clock the test moves. */
function breaker(opts = { failures: 3, window: 10_000, openFor: 5000 }) {
  const clock = { now: 1_000_000 };
  return { b: new CircuitBreaker('sales', opts, () => clock.now), clock };
}

const refused = (b: CircuitBreaker) => {
  try {
    b.admit();
    return null;
  } catch (e) {
    return (e as { code: string }).code;
  }
};

describe('CircuitBreaker', () => {
  test('opens after `failures` connection failures in a row, refuses at once while open, and says so in stats', () => {
    const { b } = breaker();
    for (let i = 0; i < 2; i++) b.record('failed', b.admit());
    expect(b.current).toBe('closed');
    b.record('failed', b.admit());
    expect(b.current).toBe('open');
    expect(refused(b)).toBe('SOURCE_CIRCUIT_OPEN');
  });

  test('an answer between failures (rows or a query error) resets the count; a cancelled or refused statement changes nothing', () => {
    const { b } = breaker();
    b.record('failed', b.admit());
    b.record('failed', b.admit());
    b.record('answered', b.admit());
    b.record('failed', b.admit());
    b.record('unknown', b.admit());
    b.record('failed', b.admit());
    expect(b.current).toBe('closed');
    b.record('failed', b.admit());
    expect(b.current).toBe('open');
  });

  test('failures further apart than `window` do not add up', () => {
    const { b, clock } = breaker();
    b.record('failed', b.admit());
    b.record('failed', b.admit());
    clock.now += 10_001;
    b.record('failed', b.admit());
    b.record('failed', b.admit());
    expect(b.current).toBe('closed');
  });

  test('after openFor one probe is let through; its answer closes the breaker, its failure opens it again', () => {
    const { b, clock } = breaker();
    for (let i = 0; i < 3; i++) b.record('failed', b.admit());
    clock.now += 4999;
    expect(refused(b)).toBe('SOURCE_CIRCUIT_OPEN');
    clock.now += 1;
    expect(b.current).toBe('half-open');
    expect(b.admit()).toBe(true);
    // Only one probe at a time.
    expect(refused(b)).toBe('SOURCE_CIRCUIT_OPEN');
    b.record('failed', true);
    expect(b.current).toBe('open');
    clock.now += 5000;
    const probe = b.admit();
    expect(probe).toBe(true);
    b.record('answered', probe);
    expect(b.current).toBe('closed');
    expect(b.admit()).toBe(false);
  });

  test('while half-open, a late failure of a statement admitted earlier does not decide; a probe that learned nothing hands over', () => {
    const { b, clock } = breaker();
    const early = b.admit();
    for (let i = 0; i < 3; i++) b.record('failed', b.admit());
    clock.now += 5000;
    const probe = b.admit();
    b.record('failed', early);
    expect(b.current).toBe('half-open');
    b.record('unknown', probe);
    expect(b.admit()).toBe(true);
  });
});
