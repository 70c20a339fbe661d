import type { Field } from '../model';

/** A policy value that cannot be a value of its field: a literal stops start-up, a claim drops its rule. */
export class BadValue extends Error {}

const INT = /^-?\d+$/;
const NUM = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A policy value → the canonical value the planner binds for this field's type (as GraphQL scalars give it). */
export function coerceValue(field: Field, v: unknown): unknown {
  if (v === PROBE) return v;
  const bad = (): never => {
    throw new BadValue(`${JSON.stringify(v)} is not a ${field.type} value (field ${field.name})`);
  };
  switch (field.type) {
    case 'Int':
      if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
      if (typeof v === 'string' && INT.test(v) && Number.isSafeInteger(Number(v))) return Number(v);
      return bad();
    case 'BigInt':
      if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
      if (typeof v === 'string' && INT.test(v)) return v;
      return bad();
    case 'Float':
      if (typeof v === 'number' && Number.isFinite(v)) return v;
      if (typeof v === 'string' && NUM.test(v)) return Number(v);
      return bad();
    case 'Decimal':
      if (typeof v === 'number' && Number.isFinite(v)) return String(v);
      if (typeof v === 'string' && NUM.test(v)) return v;
      return bad();
    case 'String':
      return typeof v === 'string' ? v : bad();
    case 'ID':
      return typeof v === 'string' ? v : typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : bad();
    case 'Boolean':
      return typeof v === 'boolean' ? v : bad();
    case 'DateTime': {
      const d = v instanceof Date ? v : typeof v === 'string' ? new Date(v) : undefined;
      return d && !Number.isNaN(d.getTime()) ? d : bad();
    }
    case 'Date':
      return typeof v === 'string' && DATE.test(v) ? v : bad();
    case 'JSON':
      return bad();
  }
}

/** Stands for a placeholder's value while start-up checks a rule: fits any field. */
export const PROBE: unique symbol = Symbol('placeholder');
