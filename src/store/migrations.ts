import type { Knex } from 'knex';

/**
 * The metadata store's schema, as knex migrations defined in code (no files looked up by path, so
 * it migrates the same from src/ under jest and from dist/). Append new migrations; never edit one
 * that has shipped. Every migration runs in a transaction (DDL is transactional on both engines).
 */
export interface StoreMigration {
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

const STATUSES = ['requested', 'approved', 'denied', 'expired', 'revoked'];
const ts = { useTz: true, precision: 3 } as const;

const initial: StoreMigration = {
  name: '0001_metadata_store',
  async up(knex) {
    await knex.schema.createTable('access_requests', (t) => {
      t.string('id', 64).primary();
      t.string('requester_id', 255).notNullable();
      t.jsonb('requester_roles').notNullable();
      t.string('entity', 255).notNullable();
      t.jsonb('fields').notNullable();
      t.text('reason').notNullable();
      t.integer('days').notNullable();
      t.enu('status', STATUSES).notNullable();
      t.timestamp('created_at', ts).notNullable();
      t.string('decided_by', 255).nullable();
      t.timestamp('decided_at', ts).nullable();
      t.text('comment').nullable();
      t.timestamp('expires_at', ts).nullable();
      t.string('revoked_by', 255).nullable();
      t.timestamp('revoked_at', ts).nullable();
      // Grants of a user (every request's ability check) and a user's own requests.
      t.index(['requester_id', 'status'], 'access_requests_requester_status');
      // Owners' queues: requests by status, per entity, newest first.
      t.index(['status', 'entity', 'created_at'], 'access_requests_status_entity');
      // The expiry sweep.
      t.index(['status', 'expires_at'], 'access_requests_status_expires');
    });
    await knex.schema.createTable('access_request_events', (t) => {
      t.increments('id').primary();
      t.string('request_id', 64).notNullable().references('id').inTable('access_requests').onDelete('CASCADE');
      t.enu('from_status', STATUSES).nullable();
      t.enu('to_status', STATUSES).notNullable();
      t.string('actor_id', 255).notNullable();
      t.timestamp('at', ts).notNullable();
      t.text('comment').nullable();
      t.index(['request_id', 'id'], 'access_request_events_request');
    });
    // A grant is an approved request (revoked and expired ones have left that status). Whether it has
    // run out yet depends on the clock, so readers also filter `expires_at > now` (listActiveGrants):
    // an approved request past its expiry stops granting at once, before the sweep marks it expired.
    await knex.raw(
      `create view grants as
         select id as request_id, requester_id as user_id, requester_roles, entity, fields,
                decided_by as granted_by, decided_at as granted_at, expires_at
           from access_requests where status = 'approved'`,
    );
    await knex.schema.createTable('audit_records', (t) => {
      t.string('id', 64).primary();
      t.timestamp('at', ts).notNullable();
      t.string('request_id', 255).nullable();
      t.string('user_id', 255).nullable();
      t.jsonb('roles').notNullable();
      t.string('operation_name', 255).nullable();
      t.string('operation_hash', 128).nullable();
      t.jsonb('entities').notNullable();
      t.jsonb('fields').notNullable();
      t.jsonb('sources').notNullable();
      t.jsonb('row_counts').notNullable();
      t.jsonb('masks').notNullable();
      t.jsonb('denials').notNullable();
      t.double('duration_ms').notNullable();
      t.string('outcome', 32).notNullable();
      // Keyset paging, newest first: (at, id) for everyone, per user.
      t.index(['at', 'id'], 'audit_records_at_id');
      t.index(['user_id', 'at', 'id'], 'audit_records_user_at_id');
    });
    await knex.schema.createTable('quality_results', (t) => {
      t.string('id', 64).primary();
      t.string('entity', 255).notNullable();
      t.string('check_name', 255).notNullable();
      t.string('kind', 64).notNullable();
      t.boolean('passed').notNullable();
      t.jsonb('observed').notNullable();
      t.timestamp('at', ts).notNullable();
      t.double('duration_ms').notNullable();
      t.index(['entity', 'check_name', 'at'], 'quality_results_entity_check_at');
      t.index(['at'], 'quality_results_at');
    });
  },
  async down(knex) {
    await knex.schema.dropTableIfExists('quality_results');
    await knex.schema.dropTableIfExists('audit_records');
    await knex.raw('drop view if exists grants');
    await knex.schema.dropTableIfExists('access_request_events');
    await knex.schema.dropTableIfExists('access_requests');
  },
};

export const migrations: readonly StoreMigration[] = [initial];

/** knex's `migrationSource` over the list above. */
export function migrationSource(list: readonly StoreMigration[] = migrations): Knex.MigrationSource<StoreMigration> {
  return {
    getMigrations: async () => [...list],
    getMigrationName: (m) => m.name,
    getMigration: async (m) => ({ up: m.up, down: m.down }),
  };
}

/** The migrator's settings; its own bookkeeping tables are prefixed so they cannot clash in a shared database. */
export function migratorConfig(list: readonly StoreMigration[] = migrations): Knex.MigratorConfig {
  return { migrationSource: migrationSource(list), tableName: 'datagate_migrations' };
}
