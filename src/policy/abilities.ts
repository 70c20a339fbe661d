import { createMongoAbility, type MongoAbility, type RawRuleOf } from '@casl/ability';
import { rulesToCondition } from '@casl/ability/extra';
import type { Entity, Registry } from '../model';
import { and, FALSE, or, TRUE, type Condition } from '../planning';
import { BadValue } from './coerce';
import { astToCondition, negate, type AstNode } from './fromCasl';
import { interpolate, MissingValue, type Lookup } from './interpolate';
import type { Action, PolicyRule } from './types';

export type RoleAbility = MongoAbility<[string, string]>;
type CaslRule = ReturnType<RoleAbility['rulesFor']>[number];

/**
 * A role's rules as a CASL ability. With `lookup`, placeholders are filled for one user; a rule
 * whose placeholder has no value drops out: a `can` rule grants nothing, a `cannot` rule loses its
 * conditions and so applies to every row (never the other way round).
 */
export function createRoleAbility(rules: readonly PolicyRule[], lookup?: Lookup): RoleAbility {
  const raw: RawRuleOf<RoleAbility>[] = [];
  for (const r of rules) {
    let conditions = r.conditions as Record<string, unknown> | undefined;
    if (conditions && lookup) {
      try {
        conditions = interpolate(conditions, lookup);
      } catch (e) {
        if (!(e instanceof MissingValue)) throw e;
        if (!r.inverted) continue;
        conditions = undefined;
      }
    }
    raw.push({
      action: [...r.action],
      subject: [...r.subject],
      fields: r.fields ? [...r.fields] : undefined,
      conditions,
      inverted: r.inverted,
      reason: r.reason,
      // Kept on the CASL rule (its `origin`) for whyNot.
      ...({ origin: r.origin } as object),
    } as RawRuleOf<RoleAbility>);
  }
  return createMongoAbility<RoleAbility>(raw);
}

const presence = { and: () => true, or: () => true, empty: () => true };

/** Whether some rule grants `action` on `subject` (optionally `field`) to at least some rows. */
export function grants(ability: RoleAbility, action: Action, subject: string, field?: string): boolean {
  return rulesToCondition(ability.rulesFor(action, subject, field), () => true, presence) !== null;
}

/** The same rules apply with and without `field`: the field is readable exactly where its rows are. */
export function uniform(ability: RoleAbility, action: Action, subject: string, field: string): boolean {
  const a = ability.rulesFor(action, subject, field);
  const b = ability.rulesFor(action, subject);
  return a.length === b.length && a.every((r, i) => r === b[i]);
}

/** The role grants `action` on `field` of every row: its deciding (first, highest-priority) rule is an unconditional `can`. */
export function everyRow(ability: RoleAbility, action: Action, subject: string, field?: string): boolean {
  const first = ability.rulesFor(action, subject, field)[0];
  return first !== undefined && !first.inverted && !first.conditions;
}

/** One rule's conditions as a condition tree; a value that does not fit its field drops the rule as above. */
export function ruleCondition(registry: Registry, entity: Entity, rule: CaslRule): Condition {
  let c: Condition;
  if (!rule.conditions) c = TRUE;
  else
    try {
      c = astToCondition(rule.ast as AstNode, { registry, entity });
    } catch (e) {
      if (!(e instanceof BadValue)) throw e;
      c = rule.inverted ? TRUE : FALSE;
    }
  return rule.inverted ? negate(c, entity) : c;
}

/**
 * Rows (and with `field`, that field of rows) one role may see, as a condition tree: CASL's
 * `rulesToCondition` (the engine of `rulesToAST`), whose first-match order makes a later `cannot`
 * bound every earlier `can`; each rule's ucast tree goes through our operator table. No rule: FALSE.
 */
export function conditionFor(registry: Registry, ability: RoleAbility, action: Action, entity: Entity, field?: string): Condition {
  const c = rulesToCondition(ability.rulesFor(action, entity.name, field), (rule) => ruleCondition(registry, entity, rule), {
    and: (items: Condition[]) => and(...items),
    or: (items: Condition[]) => or(...items),
    empty: () => TRUE,
  });
  return c ?? FALSE;
}

/** A bare CASL query (a mask's `unless`; a rule's conditions checked at start-up) as a condition tree over `entity`. */
export function queryCondition(registry: Registry, entity: Entity, conditions: Record<string, unknown>): Condition {
  const rule = createMongoAbility([{ action: 'read', subject: entity.name, conditions }]).rulesFor('read', entity.name)[0];
  return astToCondition(rule.ast as AstNode, { registry, entity });
}
