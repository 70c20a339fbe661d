import { z } from 'zod';
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
  owner: z.strictObject({ team: z.string().optional(), steward: z.string().optional() }).default({}),
  tags: z.array(z.string()).default([]),
  retention: z.strictObject({ column: z.string(), keep: z.string() }).optional(),
  checks: z.array(z.record(z.string(), z.unknown())).default([]),
  fields: z.record(graphqlName, fieldSchema).refine((o) => Object.keys(o).length > 0, 'expected at least one field'),
  relationships: z.record(graphqlName, relationshipSchema).default({}),
});

export const modelFileSchema = z.record(
  z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'entity names are PascalCase GraphQL type names'),
  entitySchema,
);
export type EntityInput = z.output<typeof entitySchema>;
