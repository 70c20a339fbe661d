import { z } from 'zod';
import { parseDuration } from './duration';

const duration = z
  .union([z.string(), z.number()])
  .transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a duration such as 500ms, 5s or 1m, found ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return ms;
  });

export const DIALECTS = ['postgres', 'mysql', 'sqlite'] as const;
export type Dialect = (typeof DIALECTS)[number];

const sourceSchema = z.strictObject({
  dialect: z.enum(DIALECTS),
  /** Empty or missing: the source runs embedded (PGlite for postgres, SQLite otherwise). */
  url: z.string().optional(),
  pool: z.number().int().min(1).max(200).default(10),
  statementTimeout: duration.default(5000),
  connectTimeout: duration.default(5000),
  owner: z.string().optional(),
  description: z.string().optional(),
});

const limitsSchema = z.strictObject({
  /** Rows a list returns when the query gives no `limit`/`first`. */
  defaultLimit: z.number().int().min(1).default(100),
  /** A larger `limit`/`first` is refused, not clamped, so a client never silently gets less than it asked for. */
  maxLimit: z.number().int().min(1).default(1000),
  /** Keys a cross-source `where` may resolve to before the query is refused. */
  maxCrossSourceKeys: z.number().int().min(1).default(100_000),
});

const identitySchema = z.strictObject({
  jwt: z
    .strictObject({
      /** Accepted signature algorithms; `none` is never accepted. */
      algorithms: z.array(z.enum(['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'PS256'])).min(1).default(['HS256']),
      /** Shared secret for HS* tokens (at least 32 characters). */
      secret: z.string().min(32, 'a JWT secret needs at least 32 characters').optional(),
      /** JWKS for public-key tokens (RS, ES, PS): a file (relative to datagate.yaml) or an https URL. */
      jwksFile: z.string().optional(),
      jwksUrl: z.url().optional(),
      issuer: z.string().optional(),
      audience: z.string().optional(),
      clockTolerance: duration.default(30_000),
    })
    .prefault({}),
  /** Where a verified token's claims put the user's id, roles and attributes. */
  claims: z
    .strictObject({
      id: z.string().default('sub'),
      roles: z.string().default('roles'),
      attributes: z.record(z.string(), z.string()).default({}),
    })
    .prefault({}),
  /** The role of a request without a token: it sees nothing unless a policy says otherwise. */
  anonymousRole: z.string().default('anonymous'),
  /** Development users (relative to datagate.yaml) that `datagate token <user>` mints tokens for: name → claims. */
  users: z.string().optional(),
});

const maskingSchema = z.strictObject({
  /**
   * Key of the `hash` mask (HMAC-SHA256), so that equal values hash equal across requests, replicas
   * and restarts, and nobody without the key can hash guesses. A random one per process when unset.
   */
  secret: z.string().min(16, 'a masking secret needs at least 16 characters').optional(),
});

/**
 * Where access requests, grants, audit records and quality results live (src/store/). One knob, `url`:
 * - empty or absent: an embedded SQLite file `datagate-meta.sqlite` next to datagate.yaml (one process);
 * - `:memory:`: an in-memory SQLite store that vanishes with the process (tests, throwaway demos);
 * - `sqlite:<file>` or `file:<file>`: that SQLite file, relative to datagate.yaml unless absolute;
 * - `postgres://…` or `postgresql://…`: PostgreSQL, which replicas share (production; e.g.
 *   `metadata: { url: "${DATAGATE_META_URL:-}" }`).
 */
const metadataSchema = z.strictObject({
  url: z.string().optional(),
});

/** The audit log (src/governance/audit): every GraphQL operation, written off the response path. */
const auditSchema = z.strictObject({
  /**
   * When the metadata store cannot take audit records: `refuse` answers reads that cannot be audited
   * with AUDIT_UNAVAILABLE (the default: no unrecorded reads), `serve` answers them and counts the loss.
   */
  onStoreFailure: z.enum(['refuse', 'serve']).default('refuse'),
  /** Records written in one INSERT. */
  batchSize: z.number().int().min(1).max(5000).default(200),
  /** Longest a record waits in memory before it is written. */
  flushInterval: duration.default(1000),
  /** Records held in memory while the store is slow or down; past this the store counts as failed. */
  maxQueue: z.number().int().min(1).default(20_000),
  /** Roles that may read the log through the `auditLog` query; every other role gets FORBIDDEN. */
  readers: z.array(z.string().min(1)).default(['auditor', 'admin']),
});

/** Access requests and grants (src/governance/access). */
const accessSchema = z.strictObject({
  /** How often a replica looks for grants and revocations made by other replicas. */
  pollInterval: duration.default(500),
  /** Longest grant a request may ask for, in days. */
  maxDays: z.number().int().min(1).max(3650).default(90),
});

/** Data quality checks declared in the model (src/governance/quality). */
const qualitySchema = z.strictObject({
  /** How often the server runs every check; `off` leaves it to `datagate check`. */
  schedule: z.union([z.literal('off'), duration]).default('off'),
  /** Run the checks once right after start (when a schedule is set). */
  runAtStart: z.boolean().default(true),
});

export const configSchema = z.strictObject({
  server: z
    .strictObject({
      port: z.number().int().min(0).max(65535).default(4000),
      host: z.string().default('0.0.0.0'),
      /** Secret that signs pagination cursors; a random one per process when unset. */
      cursorSecret: z.string().min(16).optional(),
      /** Log level of the gateway's JSON lines on stderr (LOG_LEVEL in the environment wins); `info` writes one access line per request. */
      logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
    })
    .prefault({}),
  sources: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, 'source names are lower_snake_case'), sourceSchema),
  model: z.string().default('schema'),
  policies: z.string().default('policies'),
  demo: z.strictObject({ seed: z.boolean().default(false), scale: z.number().positive().default(1) }).prefault({}),
  limits: limitsSchema.prefault({}),
  identity: identitySchema.prefault({}),
  masking: maskingSchema.prefault({}),
  metadata: metadataSchema.prefault({}),
  audit: auditSchema.prefault({}),
  access: accessSchema.prefault({}),
  quality: qualitySchema.prefault({}),
});

export type DatagateConfig = z.output<typeof configSchema>;
export type SourceConfig = z.output<typeof sourceSchema>;
export type LimitsConfig = z.output<typeof limitsSchema>;
export type IdentityConfig = z.output<typeof identitySchema>;
export type MaskingConfig = z.output<typeof maskingSchema>;
export type MetadataConfig = z.output<typeof metadataSchema>;
export type AuditConfig = z.output<typeof auditSchema>;
export type AccessConfig = z.output<typeof accessSchema>;
export type QualityConfig = z.output<typeof qualitySchema>;
