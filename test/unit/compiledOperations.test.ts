import { CompiledBudget, CompiledOperations, type CompiledOperation } from '../../src/server/fastPipeline';

/** The fast pipeline's known queries stay bounded per role set and across role sets (fastPipeline.ts). */
const made = new Map<number, CompiledOperation>();
/** A stand-in entry (the container never looks inside): the same object for the same n. */
const op = (n: number) => {
  if (!made.has(n)) made.set(n, { operationName: `Q${n}` } as unknown as CompiledOperation);
  return made.get(n)!;
};

test('a role set keeps up to its bound, then starts again from empty', () => {
  const ops = new CompiledOperations(new CompiledBudget(100), 3);
  for (let i = 0; i < 3; i++) ops.add(null, `{ q${i} }`, op(i));
  expect(ops.count).toBe(3);
  expect(ops.get(null, '{ q0 }')).toBe(op(0));
  ops.add(null, '{ q3 }', op(3));
  expect(ops.count).toBe(1);
  expect(ops.get(null, '{ q0 }')).toBeUndefined();
  expect(ops.get(null, '{ q3 }')).toBe(op(3));
  // The same text under another operation name is another entry; adding a known one changes nothing.
  ops.add('Named', '{ q3 }', op(4));
  ops.add(null, '{ q3 }', op(5));
  expect(ops.count).toBe(2);
  expect(ops.get(null, '{ q3 }')).toBe(op(3));
  expect(ops.get('Named', '{ q3 }')).toBe(op(4));
  expect(ops.get('Other', '{ q3 }')).toBeUndefined();
});

test('role sets share one budget: a full budget never takes entries from another role set', () => {
  const budget = new CompiledBudget(4);
  const a = new CompiledOperations(budget, 10);
  const b = new CompiledOperations(budget, 10);
  for (let i = 0; i < 4; i++) a.add(null, `{ a${i} }`, op(i));
  expect(budget.used).toBe(4);
  // b finds the budget spent by a: it keeps nothing, and a keeps all of its own.
  b.add(null, '{ b0 }', op(9));
  expect(b.count).toBe(0);
  expect(a.count).toBe(4);
  // a adding past the budget starts itself again, which frees room.
  a.add(null, '{ a4 }', op(4));
  expect(a.count).toBe(1);
  expect(budget.used).toBe(1);
  b.add(null, '{ b0 }', op(9));
  expect(b.count).toBe(1);
  // A dropped role set gives its entries back.
  a.clear();
  expect(budget.used).toBe(1);
  expect(a.get(null, '{ a4 }')).toBeUndefined();
});
