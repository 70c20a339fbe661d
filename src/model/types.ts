export const FIELD_TYPES = ['ID', 'String', 'Int', 'BigInt', 'Float', 'Decimal', 'Boolean', 'DateTime', 'Date', 'JSON'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** Types that can be summed and averaged. */
export const NUMERIC_TYPES: ReadonlySet<FieldType> = new Set(['Int', 'BigInt', 'Float', 'Decimal']);
/** Types with a total order (min/max, range filters, keyset cursors). */
export const ORDERED_TYPES: ReadonlySet<FieldType> = new Set(['ID', 'String', 'Int', 'BigInt', 'Float', 'Decimal', 'DateTime', 'Date']);

export interface Field {
  readonly name: string;
  readonly column: string;
  readonly type: FieldType;
  readonly nullable: boolean;
  readonly description?: string;
  readonly tags: readonly string[];
  /** Decimal only: digits after the point. */
  readonly scale?: number;
}

export interface Relationship {
  readonly name: string;
  /** Entity the relationship is declared on. */
  readonly from: string;
  readonly target: string;
  readonly many: boolean;
  /** Pairs of (field on `from`, field on `target`) that must be equal. */
  readonly on: readonly (readonly [string, string])[];
  readonly description?: string;
}

export interface Owner {
  /** Owning team, shown in the catalog. */
  readonly team?: string;
  /** Steward's contact (email or channel): whom to ask about the data. */
  readonly steward?: string;
  /** Roles whose holders may approve access requests for the entity. */
  readonly roles: readonly string[];
  /** User ids (token `sub`) who may approve access requests for the entity. */
  readonly users: readonly string[];
}

/** How the catalog presents an entity to callers who may not read it. */
export interface CatalogSettings {
  /** List the entity's field names (not values) to callers without access, so they know what to request. */
  readonly showFields: boolean;
}

export interface Entity {
  readonly name: string;
  readonly source: string;
  /** Table or view, optionally qualified by a database schema (`schema`). */
  readonly table: string;
  readonly schema?: string;
  readonly key: string;
  readonly description?: string;
  readonly owner: Owner;
  readonly tags: readonly string[];
  /** Sensitivity classes (pii, financial, …), shown in the catalog and its filters. */
  readonly classification: readonly string[];
  readonly catalog: CatalogSettings;
  readonly retention?: { readonly column: string; readonly keepMs: number; readonly keep: string };
  /** `cache.maxTtl` of the model, in ms: the oldest cached rows of this entity a `@cached` request may get (0: never cached). Unset: the deployment's limit. */
  readonly cacheMaxTtlMs?: number;
  readonly checks: readonly Record<string, unknown>[];
  readonly fields: ReadonlyMap<string, Field>;
  readonly relationships: ReadonlyMap<string, Relationship>;
  /** GraphQL root field names: `customer`, `customers`. */
  readonly singular: string;
  readonly plural: string;
  /** File the entity was declared in, for error messages. */
  readonly file: string;
}

/** The compiled, immutable data model of a deployment. */
export interface Registry {
  readonly entities: ReadonlyMap<string, Entity>;
  entity(name: string): Entity;
}
