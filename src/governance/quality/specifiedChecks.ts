import { AcceptedValuesCheck } from './AcceptedValuesCheck';
import { FreshnessCheck } from './FreshnessCheck';
import { NotNullRateCheck } from './NotNullRateCheck';
import { RangeCheck } from './RangeCheck';
import { ReferencesCheck } from './ReferencesCheck';
import { RowCountCheck } from './RowCountCheck';
import { SqlAssertionCheck } from './SqlAssertionCheck';
import type { CheckKind, QualityCheck } from './types';
import { UniqueCheck } from './UniqueCheck';

/** Every kind of check the model can declare, by kind: the `satisfies` makes a new kind without a check a type error. */
export const specifiedChecks = {
  freshness: FreshnessCheck,
  notNull: NotNullRateCheck,
  unique: UniqueCheck,
  accepted: AcceptedValuesCheck,
  range: RangeCheck,
  rowCount: RowCountCheck,
  references: ReferencesCheck,
  sql: SqlAssertionCheck,
} as const satisfies { [K in CheckKind]: QualityCheck<K> };
