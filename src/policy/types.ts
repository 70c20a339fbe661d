import type { Condition } from '../planning';
import type { Entity, Relationship } from '../model';

export const ACTIONS = ['read', 'aggregate'] as const;
export type Action = (typeof ACTIONS)[number];

export const MASK_KINDS = ['null', 'redact', 'hash', 'email', 'last4', 'year'] as const;
/** In this order from most to least protective: where roles mask one field differently, the first wins. */
export type MaskKind = (typeof MASK_KINDS)[number];

/** Where a rule or mask was written, for error messages and `whyNot`. */
export interface Origin {
  readonly role: string;
  readonly file: string;
  readonly line?: number;
  /** `rules[3]`, `masks.Customer.email` */
  readonly path: string;
}

/** A rule in CASL's raw shape, plus where it came from. Placeholders are still `${user.*}` text. */
export interface PolicyRule {
  readonly action: readonly Action[];
  /** Entity names, or ['all']. */
  readonly subject: readonly string[];
  readonly fields?: readonly string[];
  readonly conditions?: Readonly<Record<string, unknown>>;
  readonly inverted: boolean;
  readonly reason?: string;
  readonly origin: Origin;
}

export interface PolicyMask {
  readonly kind: MaskKind;
  /** The value stays in clear on rows matching these conditions (CASL query, placeholders allowed). */
  readonly unless?: Readonly<Record<string, unknown>>;
  readonly origin: Origin;
}

/** One role after `extends` is resolved: the parents' rules first (lower priority). */
export interface RolePolicy {
  readonly name: string;
  readonly description?: string;
  readonly file: string;
  readonly rules: readonly PolicyRule[];
  /** entity → field → mask */
  readonly masks: ReadonlyMap<string, ReadonlyMap<string, PolicyMask>>;
  /** entity (or `*`) → most rows one list may return */
  readonly maxRows: ReadonlyMap<string, number>;
}

export interface PolicySet {
  readonly roles: ReadonlyMap<string, RolePolicy>;
  readonly anonymousRole: string;
}

/** How a field of a readable entity reaches a role set. */
export interface FieldView {
  readonly name: string;
  /** Readable on every row the role set reads (false: a per-row flag nulls it elsewhere). */
  readonly uniform: boolean;
  readonly maskMode: 'none' | 'always' | 'conditional';
  readonly mask: MaskKind | null;
  /** Nullable in the role's schema: by the model, or because the policy may null it. */
  readonly nullable: boolean;
}

/** What one role set may do with one entity: the static half of a policy, which shapes the schema. */
export interface EntityView {
  readonly entity: Entity;
  readonly read: boolean;
  /** Readable fields (empty when `read` is false). */
  readonly fields: ReadonlyMap<string, FieldView>;
  /** Readable in clear on every readable row: these may be filtered, ordered and grouped by. */
  readonly clear: ReadonlySet<string>;
  /** Relationships the role set may follow: it reads the target, and the join fields in clear. */
  readonly relationships: readonly Relationship[];
  /** Fields usable in aggregates (null: no aggregate right). */
  readonly aggregate: ReadonlySet<string> | null;
  readonly maxRows?: number;
}

export interface RoleSetView {
  /** Sorted role names joined by `+`: the cache key of this view and of its schema. */
  readonly key: string;
  readonly roles: readonly string[];
  readonly entities: ReadonlyMap<string, EntityView>;
}

/** Per-row flags a plan must select so the gateway can null or mask a field. */
export interface FieldFlags {
  /** Alias of a 1/0 column: the field is readable on this row. */
  readonly visible?: { readonly alias: string; readonly condition: Condition };
  /** Alias of a 1/0 column: the field is in clear on this row. */
  readonly clear?: { readonly alias: string; readonly condition: Condition };
}

/** The dynamic half: one user's conditions for one entity, with their attributes filled in. */
export interface EntityAccess {
  readonly view: EntityView;
  /** Rows the user may read. */
  readonly row: Condition;
  /** Rows the user may aggregate over. */
  readonly aggregate: Condition;
  readonly flags: ReadonlyMap<string, FieldFlags>;
}
