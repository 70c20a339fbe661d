import type { Entity } from '../model';
import { TRUE, type Condition } from './conditions';

/**
 * Rows inside the entity's retention period at `now`: `column >= now - keep`. Rows older than that
 * are never returned, whatever the policy; a row whose retention column is NULL cannot show that it
 * is inside the period and is not returned either (SQL's comparison with NULL does not hold).
 */
export function retentionCondition(entity: Entity, now: Date): Condition {
  const r = entity.retention;
  if (!r) return TRUE;
  const cutoff = new Date(now.getTime() - r.keepMs);
  const type = entity.fields.get(r.column)?.type;
  return { kind: 'compare', op: 'gte', field: r.column, value: type === 'Date' ? cutoff.toISOString().slice(0, 10) : cutoff };
}
