import type { Knex } from 'knex';
import type { Engine } from '../SourceAdapter';
import type { IntrospectedSource, IntrospectOptions } from './types';

export type { IntrospectedSource, IntrospectedTable, IntrospectedColumn, IntrospectedForeignKey, IntrospectOptions } from './types';
export { mapDbType, mapPostgresType, mapMysqlType, mapSqliteType } from './typeMap';
export { toModelYaml, type ModelYaml, type ModelYamlOptions } from './toModelYaml';

/** Reads a live database with the introspector of its engine; each loads only when used. */
export async function introspectDatabase(engine: Engine, knex: Knex, opts: IntrospectOptions = {}): Promise<IntrospectedSource> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  switch (engine) {
    case 'postgres':
      return (require('../postgres/introspect') as typeof import('../postgres/introspect')).introspectPostgres(knex, opts);
    case 'mysql':
      return (require('../mysql/introspect') as typeof import('../mysql/introspect')).introspectMysql(knex, opts);
    case 'sqlite':
      return (require('../sqlite/introspect') as typeof import('../sqlite/introspect')).introspectSqlite(knex, opts);
  }
}
