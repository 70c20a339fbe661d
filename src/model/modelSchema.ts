import { z } from 'zod';
import { parseDuration } from '../config';
import { FIELD_TYPES } from './types';

const graphqlName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'expected a GraphQL name (letters, digits, _; not starting with __)');

/** Database identifiers are quoted by the dialect; `?` and `.` would collide with bind markers and qualified names. */
const identifier = z.string().min(1).max(128).regex(/^[^?.\u0000]+$/, 'identifiers may not contain "?", "." or NUL');

const fieldSchema = z.strictObject({
  type: z.enum(FIELD_TYPES),
  column: identifier.optional(),
  description: z.string().optional(),
  tags: z.array(z.string()).default([]),
  nullable: z.boolean().optional(),
  /** Digits after the point of a Decimal, used to print values an engine returns as doubles (SQLite). */
  scale: z.number().int().min(0).max(30).optional(),
});

const relationshipSchema = z.strictObject({
  entity: z.string(),
  many: z.boolean().default(false),
  on: z.record(z.string(), z.string()).refine((o) => Object.keys(o).length > 0, 'expected at least one field pair'),
  description: z.string().optional(),
});

export const entitySchema = z.strictObject({
  source: z.string(),
  table: identifier,
  schema: identifier.optional(),
  key: z.string(),
  plural: graphqlName.optional(),
  description: z.string().optional(),
  owner: z
    .strictObject({
      team: z.string().optional(),
      steward: z.string().optional(),
      /** Roles whose holders approve access requests. */
      roles: z.array(z.string().min(1)).default([]),
      /** User ids who approve access requests. */
      users: z.array(z.string().min(1)).default([]),
    })
    .prefault({}),
  tags: z.array(z.string()).default([]),
  classification: z.array(z.string().regex(/^[a-z][a-z0-9_-]*$/, 'classes are lower-case words such as pii or financial')).default([]),
  catalog: z.strictObject({ showFields: z.boolean().default(true) }).prefault({}),
  retention: z.strictObject({ column: z.string(), keep: z.string() }).optional(),
  /** The longest a `@cached` request may be answered from cached rows of this entity (`30s`, `5m`; `0` never): the owner's freshness bound. Default: the deployment's cache.maxTtl. */
  cache: z.strictObject({ maxTtl: z.union([z.string(), z.number()]) }).optional(),
  checks: z.array(z.record(z.string(), z.unknown())).default([]),
  fields: z.record(graphqlName, fieldSchema).refine((o) => Object.keys(o).length > 0, 'expected at least one field'),
  relationships: z.record(graphqlName, relationshipSchema).default({}),
});

export const modelFileSchema = z.record(
  z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'entity names are PascalCase GraphQL type names'),
  entitySchema,
);
export type EntityInput = z.output<typeof entitySchema>;

/**
 * Quality checks (issue 4). A check is a YAML map whose kind is the key naming the checked field
 * (`{ notNull: email, minRate: 0.95 }`); each kind has its own strict shape, so an unknown key or
 * kind is a located start-up problem. `checkSpecOf` turns a validated map into a typed `CheckSpec`.
 */
const fieldName = z.string().min(1);
const duration = z.union([z.string(), z.number()]).refine((v) => parseDuration(v) !== undefined, 'expected a duration such as 30m, 6h or 1d');
const acceptedValue = z.union([z.string(), z.number(), z.boolean()]);

export const CHECK_SCHEMAS = {
  freshness: z.strictObject({ freshness: fieldName, maxAge: duration }),
  notNull: z.strictObject({ notNull: fieldName, minRate: z.number().min(0).max(1).default(1) }),
  unique: z.strictObject({ unique: z.union([fieldName, z.array(fieldName).min(1)]) }),
  accepted: z.strictObject({ accepted: fieldName, values: z.array(acceptedValue).min(1) }),
  range: z
    .strictObject({ range: fieldName, min: z.number().optional(), max: z.number().optional() })
    .refine((c) => c.min !== undefined || c.max !== undefined, 'expected min, max or both')
    .refine((c) => c.min === undefined || c.max === undefined || c.min <= c.max, 'expected min ≤ max'),
  rowCount: z.strictObject({
    rowCount: z
      .strictObject({ min: z.number().int().min(0).optional(), max: z.number().int().min(0).optional() })
      .refine((c) => c.min !== undefined || c.max !== undefined, 'expected min, max or both')
      .refine((c) => c.min === undefined || c.max === undefined || c.min <= c.max, 'expected min ≤ max'),
  }),
  references: z.strictObject({ references: fieldName, entity: z.string().min(1), field: fieldName }),
  sql: z.strictObject({
    sql: z.string().min(1).refine((s) => !/;\s*\S/.test(s), 'expected one statement'),
    name: z.string().min(1),
  }),
} as const;

export type CheckKind = keyof typeof CHECK_SCHEMAS;
export const CHECK_KINDS = Object.keys(CHECK_SCHEMAS) as CheckKind[];

export type CheckSpec =
  | { readonly kind: 'freshness'; readonly field: string; readonly maxAge: string; readonly maxAgeMs: number }
  | { readonly kind: 'notNull'; readonly field: string; readonly minRate: number }
  | { readonly kind: 'unique'; readonly fields: readonly string[] }
  | { readonly kind: 'accepted'; readonly field: string; readonly values: readonly (string | number | boolean)[] }
  | { readonly kind: 'range'; readonly field: string; readonly min?: number; readonly max?: number }
  | { readonly kind: 'rowCount'; readonly min?: number; readonly max?: number }
  | { readonly kind: 'references'; readonly field: string; readonly entity: string; readonly targetField: string }
  | { readonly kind: 'sql'; readonly name: string; readonly sql: string };

/** The kind keys a check map holds: exactly one for a valid check. */
export function checkKindsIn(raw: Record<string, unknown>): CheckKind[] {
  return CHECK_KINDS.filter((k) => k in raw);
}

/** A check map validated by its kind's schema → the typed spec; throws on an invalid map (loadModel reports those at start-up). */
export function checkSpecOf(raw: Record<string, unknown>): CheckSpec {
  const kinds = checkKindsIn(raw);
  if (kinds.length !== 1) throw new Error(`expected one check kind (${CHECK_KINDS.join(', ')}), found ${kinds.length ? kinds.join(' and ') : 'none'}`);
  return toSpec(kinds[0], raw);
}

function toSpec(kind: CheckKind, raw: Record<string, unknown>): CheckSpec {
  switch (kind) {
    case 'freshness': {
      const c = CHECK_SCHEMAS.freshness.parse(raw);
      return { kind, field: c.freshness, maxAge: String(c.maxAge), maxAgeMs: parseDuration(c.maxAge)! };
    }
    case 'notNull': {
      const c = CHECK_SCHEMAS.notNull.parse(raw);
      return { kind, field: c.notNull, minRate: c.minRate };
    }
    case 'unique': {
      const c = CHECK_SCHEMAS.unique.parse(raw);
      return { kind, fields: typeof c.unique === 'string' ? [c.unique] : c.unique };
    }
    case 'accepted': {
      const c = CHECK_SCHEMAS.accepted.parse(raw);
      return { kind, field: c.accepted, values: c.values };
    }
    case 'range': {
      const c = CHECK_SCHEMAS.range.parse(raw);
      return { kind, field: c.range, min: c.min, max: c.max };
    }
    case 'rowCount': {
      const c = CHECK_SCHEMAS.rowCount.parse(raw);
      return { kind, min: c.rowCount.min, max: c.rowCount.max };
    }
    case 'references': {
      const c = CHECK_SCHEMAS.references.parse(raw);
      return { kind, field: c.references, entity: c.entity, targetField: c.field };
    }
    case 'sql': {
      const c = CHECK_SCHEMAS.sql.parse(raw);
      return { kind, name: c.name, sql: c.sql.trim().replace(/;\s*$/, '') };
    }
  }
}
