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
  /** How long opening a connection, and waiting for a pooled one, may take (knex would wait 60 s). */
  connectTimeout: duration.default(5000),
  /**
   * Statements that may wait for one of the `pool` connections; the next fails at once with SOURCE_BUSY.
   * 100: with a pool of 10 and 50 ms statements the last in line waits about half a second; a longer
   * line only holds memory and requests that would meet connectTimeout anyway.
   */
  maxQueue: z.number().int().min(1).default(100),
  /**
   * `failures` connection-level failures in a row (SOURCE_UNAVAILABLE, SOURCE_TIMEOUT; never a query or
   * policy error), the first no longer than `window` ago, open the breaker: for `openFor` every statement
   * fails at once with SOURCE_CIRCUIT_OPEN, then one statement probes the source and decides.
   */
  breaker: z
    .strictObject({
      /** 5: one unlucky statement (a dropped connection, one slow query) never opens it; a dead source opens it within a second under load. */
      failures: z.number().int().min(1).default(5),
      /** 10 s: failures further apart than this are bad luck, not an outage. */
      window: duration.default(10_000),
      /** 5 s: a down source gets one connection attempt per 5 s instead of one per statement, and a source back up serves again within 5 s. */
      openFor: duration.default(5000),
    })
    .prefault({}),
  /**
   * Read a selected relationship into the same source inside its parents' statement, as JSON
   * (graph/nesting.ts; PostgreSQL, and MariaDB from 10.5): one statement per request instead of one per
   * level. Left out: the engine's default, where it measured faster (PostgreSQL on, bench Q2; MariaDB
   * off, bench Q6); false: every level is its own statement, batched per level, as on MySQL.
   */
  nestedRows: z.boolean().optional(),
  /**
   * Which identical statements that overlap in time run once (src/sources/SharedStatements.ts): a
   * request arriving while its statement runs waits for the next run, never for one that started
   * before it, so answers are as fresh as without sharing. `aggregates` (aggregate and count
   * statements): those scan what their filter leaves, and a dashboard polled by many viewers sends
   * the same ones (bench Q4: 16 identical aggregates of 1M rows). Row reads by key or page are
   * index-backed and cheap, and each waiter beyond the first costs a copy of the rows: `all` shares
   * them too, `off` shares nothing.
   */
  shareStatements: z.enum(['off', 'aggregates', 'all']).default('aggregates'),
  /**
   * PostgreSQL servers only: how PostgreSQL plans the named row statements (README, Operations,
   * PostgreSQL plans). `auto`, PostgreSQL's own default: after five runs it keeps a statement's generic
   * plan unless a plan for the run's values looks cheaper, so a statement bound to a frequent value (a
   * policy's `rep_id` of a large tenant) may be planned again on every run. `generic`: one plan per
   * statement and connection, whatever the values (PostgreSQL's force_generic_plan), for row reads only:
   * aggregates and counts are still planned for their values on every run.
   */
  planCacheMode: z.enum(['auto', 'generic']).default('auto'),
  owner: z.string().optional(),
  description: z.string().optional(),
});

/**
 * What one request may ask, with each default's reason (README, "Limits"). Every value can be set
 * here for everyone and under `roles.<role>` for one role; a request's role set takes the most
 * generous value of its roles (as policies' maxRows do), and a grant's role never lifts one.
 */
const limitValues = {
  /** Rows a list returns when the query gives no `limit`/`first`: a screenful, and 100 × 100 = 10,000 rows for one nested default list. */
  defaultLimit: z.number().int().min(1),
  /** A larger `limit`/`first` is refused, not clamped, so a client never silently gets less than it asked for. */
  maxLimit: z.number().int().min(1),
  /** Keys a cross-source `where` may resolve to before the query is refused. */
  maxCrossSourceKeys: z.number().int().min(1),
  /**
   * Rows a request could return, estimated before any SQL runs: each list's limit (or the default),
   * multiplied down nested lists. 20,000 lets one default list nest one default list (10,100 rows) with
   * room to spare, and refuses a third default level (1,010,100): bulk reads page through a connection.
   */
  rowBudget: z.number().int().min(1),
  /** Selection depth, fragments flattened, introspection not counted. 10: a connection (edges.node) three relationships deep. */
  maxDepth: z.number().int().min(1),
  /** Aliases in one operation: each can repeat a whole list. 15 covers a dashboard's side-by-side aggregates. */
  maxAliases: z.number().int().min(0),
  /** Lexical tokens of a document, counted by graphql-js's parser (which stops there). 2,000 is twice the largest hand-written query we know; values belong in variables. */
  maxTokens: z.number().int().min(1),
  /** Directives in one operation (@include/@skip); 50 is graphql-armor's default and more than any client sends. */
  maxDirectives: z.number().int().min(0),
  /**
   * graphql-armor's cost (objects 2, scalars 1, ×1.5 per level, and a literal `first`/`last` multiplies its
   * selection). 100,000: a connection page at maxLimit (`first: 1000`) with some twenty fields costs about
   * 50,000; how many rows a request reads is the row budget's business, so cost only stops wide, deep shapes.
   */
  maxCost: z.number().int().min(1),
  /** Characters of the query text, checked before parsing (whitespace and comments are not tokens). 20,000. */
  maxChars: z.number().int().min(1),
  /** Largest request body in bytes. 100 KB holds any real query with its variables; Apollo's own default is 50 MB. */
  maxBodyBytes: z.number().int().min(1024),
};

export const LIMIT_DEFAULTS = {
  defaultLimit: 100,
  maxLimit: 1000,
  maxCrossSourceKeys: 100_000,
  rowBudget: 2_000_000,
  maxDepth: 10,
  maxAliases: 15,
  maxTokens: 2000,
  maxDirectives: 50,
  maxCost: 100_000,
  maxChars: 20_000,
  maxBodyBytes: 100 * 1024,
} as const satisfies Record<keyof typeof limitValues, number>;

const limitsSchema = z.strictObject({
  ...(Object.fromEntries(Object.entries(limitValues).map(([k, v]) => [k, v.default(LIMIT_DEFAULTS[k as keyof typeof limitValues])])) as {
    [K in keyof typeof limitValues]: z.ZodDefault<(typeof limitValues)[K]>;
  }),
  /** Per role: any of the values above, overriding the global one for that role. */
  roles: z.record(z.string().min(1), z.strictObject(limitValues).partial()).default({}),
  /**
   * Longest a GraphQL request may take, for every role: statements still running then are cancelled on
   * their servers and their fields fail with REQUEST_TIMEOUT (the rest of the answer is sent). 15 s:
   * three default statementTimeouts, so a request's few sequential levels each get theirs.
   */
  requestTimeout: duration.default(15_000),
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

/**
 * The result cache behind `@cached` (src/sources/ResultCache.ts): a query marked
 * `query Q @cached(ttl: 60) { … }` may be answered from results of the same statements (same SQL
 * text, same bound values: the same policy conditions) read at most `ttl` seconds ago.
 */
const cacheSchema = z.strictObject({
  /** The longest any request may ask for: `@cached(ttl:)` above it is cut to it. 0 turns `@cached` off (every statement runs). */
  maxTtl: duration.default(300_000),
  /** Memory for cached rows, all sources together (an estimate); the least recently used go first. 0 turns `@cached` off. */
  maxBytes: z.number().int().min(0).default(64 * 1024 * 1024),
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
      /**
       * `production`: limit errors do not say the limit or what was found, "Did you mean" suggestions are
       * hidden, and only the roles of `introspection` may introspect. `development` (default) tells all.
       */
      mode: z.enum(['development', 'production']).default('development'),
      /** Roles that may introspect the schema in production mode (in development every role may). */
      introspection: z.array(z.string().min(1)).default(['admin']),
      /**
       * Browser origins allowed to call the gateway (`https://app.example.com`, or `*` for any). Default none:
       * no CORS headers at all, so browsers keep pages of other origins out. Clients send tokens in the
       * Authorization header, so cookies are never needed: `credentials` stays off unless asked for, and never with `*`.
       */
      cors: z
        .strictObject({
          origins: z.array(z.union([z.literal('*'), z.url().transform((u) => new URL(u).origin)])).default([]),
          credentials: z.boolean().default(false),
          /** Seconds a browser may cache a preflight answer. */
          maxAge: z.number().int().min(0).default(600),
        })
        .refine((c) => !(c.credentials && c.origins.includes('*')), { message: 'cors.credentials cannot be used with origin "*" (browsers refuse it, and it would let any site act for a signed-in user)' })
        .prefault({}),
      /**
       * The allow-list of operations for first-party apps: `file` is a JSON manifest `{ "<sha256 of the text>": "<query text>" }`
       * (relative to datagate.yaml). Clients send `extensions.persistedQuery.sha256Hash` (Apollo APQ) or `id`, or the exact text.
       * With `enforce`, every other operation is refused (PERSISTED_QUERY_NOT_FOUND) except for the roles of `exempt`.
       */
      persistedOperations: z
        .strictObject({
          file: z.string().min(1),
          enforce: z.boolean().default(true),
          exempt: z.array(z.string().min(1)).default(['admin']),
        })
        .optional(),
    })
    .prefault({}),
  sources: z.record(
    z.string().regex(/^[a-z][a-z0-9_]*$/, 'source names are lower_snake_case'),
    sourceSchema.superRefine((s, ctx) => {
      if (s.planCacheMode !== 'auto' && s.dialect !== 'postgres') {
        ctx.addIssue({ code: 'custom', path: ['planCacheMode'], message: `planCacheMode applies to PostgreSQL sources only; remove it from this ${s.dialect} source` });
      }
      if (s.nestedRows === true && s.dialect === 'sqlite') {
        ctx.addIssue({ code: 'custom', path: ['nestedRows'], message: 'SQLite sources read each level in a statement of its own; nestedRows: true applies to PostgreSQL and MariaDB sources' });
      }
    }),
  ),
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
  cache: cacheSchema.prefault({}),
});

export type DatagateConfig = z.output<typeof configSchema>;
type ParsedSource = z.output<typeof sourceSchema>;
/** `maxQueue`, `breaker`, `nestedRows`, `shareStatements` and `planCacheMode` may be left out by code that builds a source's config by hand (tests, CLI): the adapter takes the defaults. */
type Defaulted = 'maxQueue' | 'breaker' | 'nestedRows' | 'shareStatements' | 'planCacheMode';
export type SourceConfig = Omit<ParsedSource, Defaulted> & Partial<Pick<ParsedSource, Defaulted>>;
/** The guards of a source whose config leaves them out: the schema's own defaults. */
export const SOURCE_GUARD_DEFAULTS: Pick<ParsedSource, 'maxQueue' | 'breaker' | 'shareStatements'> = Object.freeze({
  maxQueue: sourceSchema.shape.maxQueue.parse(undefined),
  breaker: sourceSchema.shape.breaker.parse(undefined),
  shareStatements: sourceSchema.shape.shareStatements.parse(undefined),
});
export type LimitsConfig = z.output<typeof limitsSchema>;
/** The limits of one role set: the global values with its roles' overrides applied. */
// requestTimeout is one value for every role (src/graph/deadline.ts), not a per-role limit.
export type LimitValues = Omit<LimitsConfig, 'roles' | 'requestTimeout'>;
export type ServerConfig = z.output<typeof configSchema>['server'];
export type IdentityConfig = z.output<typeof identitySchema>;
export type MaskingConfig = z.output<typeof maskingSchema>;
export type MetadataConfig = z.output<typeof metadataSchema>;
export type AuditConfig = z.output<typeof auditSchema>;
export type AccessConfig = z.output<typeof accessSchema>;
export type QualityConfig = z.output<typeof qualitySchema>;
export type CacheConfig = z.output<typeof cacheSchema>;
