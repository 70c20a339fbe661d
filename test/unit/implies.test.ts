import { and, implies, or, sameCondition, TRUE, type Condition } from '../../src/planning';

const eq = (field: string, value: unknown): Condition => ({ kind: 'compare', op: 'eq', field, value });

describe('implies: what a policy lookup may be skipped on', () => {
  test('each conjunct of the conclusion must be one of the premise', () => {
    expect(implies(and(eq('rep_id', 1), eq('region', 'EU')), eq('rep_id', 1))).toBe(true);
    expect(implies(and(eq('rep_id', 1), eq('region', 'EU')), and(eq('region', 'EU'), eq('rep_id', 1)))).toBe(true);
    expect(implies(eq('rep_id', 1), and(eq('rep_id', 1), eq('region', 'EU')))).toBe(false);
    expect(implies(eq('region', 'EU'), TRUE)).toBe(true);
  });

  test('never guesses: other values, other types, other operators, a disjunction', () => {
    expect(implies(eq('rep_id', 2), eq('rep_id', 1))).toBe(false);
    expect(implies(eq('rep_id', '1'), eq('rep_id', 1))).toBe(false);
    expect(implies({ kind: 'compare', op: 'gte', field: 'rep_id', value: 1 }, eq('rep_id', 1))).toBe(false);
    expect(implies(or(eq('rep_id', 1), eq('rep_id', 2)), eq('rep_id', 1))).toBe(false);
    // rep_id = 1 does imply rep_id in (1, 2); the simple proof does not see it, and says no.
    expect(implies(eq('rep_id', 1), { kind: 'in', fields: ['rep_id'], values: [[1], [2]], negate: false })).toBe(false);
  });

  test('structural equality of values: dates by time, lists by elements', () => {
    const at = (iso: string) => ({ kind: 'compare', op: 'gte', field: 'created_at', value: new Date(iso) }) as Condition;
    expect(sameCondition(at('2026-01-01T00:00:00Z'), at('2026-01-01T00:00:00.000Z'))).toBe(true);
    expect(sameCondition(at('2026-01-01T00:00:00Z'), at('2026-01-01T00:00:01Z'))).toBe(false);
    const keys = (v: unknown[][]): Condition => ({ kind: 'in', fields: ['a', 'b'], values: v, negate: false });
    expect(sameCondition(keys([[1, 2]]), keys([[1, 2]]))).toBe(true);
    expect(sameCondition(keys([[1, 2]]), keys([[2, 1]]))).toBe(false);
    expect(sameCondition({ kind: 'not', item: eq('a', 1) }, { kind: 'not', item: eq('a', 1) })).toBe(true);
    expect(sameCondition({ kind: 'isNull', field: 'a', isNull: true }, { kind: 'isNull', field: 'a', isNull: false })).toBe(false);
  });
});
