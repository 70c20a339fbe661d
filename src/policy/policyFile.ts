import { z } from 'zod';
import { ACTIONS, MASK_KINDS } from './types';

const oneOrMany = <T extends z.ZodType>(t: T) => z.union([t, z.array(t).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.output<T>[]);

const conditions = z.record(z.string(), z.unknown());

const ruleSchema = z
  .strictObject({
    action: oneOrMany(z.enum(ACTIONS)),
    subject: oneOrMany(z.string().min(1)),
    fields: z.array(z.string().min(1)).min(1).optional(),
    conditions: conditions.optional(),
    inverted: z.boolean().default(false),
    reason: z.string().min(1).optional(),
  })
  .refine((r) => !r.inverted || r.reason, { message: 'an inverted (cannot) rule needs a `reason`: whyNot shows it to the people it stops', path: ['reason'] });

// `null` unquoted is YAML's null: read it as the null mask.
const maskSchema = z.union([
  z.preprocess((v) => (v === null ? 'null' : v), z.enum(MASK_KINDS)),
  z.strictObject({ mask: z.enum(MASK_KINDS), unless: conditions }),
]);

/** One file of `policies/`: one role. */
export const policyFileSchema = z.strictObject({
  role: z.string().regex(/^[A-Za-z][\w-]*$/, 'role names are letters, digits, _ and -'),
  description: z.string().optional(),
  extends: oneOrMany(z.string()).optional(),
  rules: z.array(ruleSchema).default([]),
  masks: z.record(z.string().regex(/^\w+\.\w+$/, 'mask keys are Entity.field'), maskSchema).default({}),
  limits: z
    .strictObject({
      maxRows: z.union([z.number().int().min(1), z.record(z.string(), z.number().int().min(1))]).optional(),
    })
    .default({}),
});

export type PolicyFile = z.output<typeof policyFileSchema>;
