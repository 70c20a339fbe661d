import type { FieldType } from '../../model';
import type { Engine } from '../SourceAdapter';

/** What a live database says about itself, before any naming or modelling decision. */
export interface IntrospectedSource {
  readonly engine: Engine;
  /** Database schema that was read (`public`, the MySQL database name, `main`). */
  readonly schema: string;
  readonly tables: IntrospectedTable[];
}

export interface IntrospectedTable {
  readonly name: string;
  /** Set when the table lives outside the engine's default schema (PostgreSQL `public`, SQLite `main`). */
  readonly schema?: string;
  readonly kind: 'table' | 'view';
  readonly comment?: string;
  readonly columns: IntrospectedColumn[];
  /** Primary key columns in key order; empty for views and tables without one. */
  readonly primaryKey: string[];
  readonly foreignKeys: IntrospectedForeignKey[];
}

export interface IntrospectedColumn {
  readonly name: string;
  /** The type as the database spells it: `character varying(40)`, `int(10) unsigned`, `DECIMAL(12,2)`. */
  readonly dbType: string;
  readonly nullable: boolean;
  readonly comment?: string;
  /** Set when the type maps to a datagate field type. */
  readonly fieldType?: FieldType;
  /** True when it does not: the column is reported and left out of the model. */
  readonly unknownType?: boolean;
}

export interface IntrospectedForeignKey {
  readonly columns: string[];
  readonly refTable: string;
  /** Set when the referenced table lives in another schema than the one read. */
  readonly refSchema?: string;
  readonly refColumns: string[];
}

export interface IntrospectOptions {
  /** PostgreSQL schema (default `public`), MySQL database (default the connection's), SQLite attached database (default `main`). */
  schema?: string;
  /** Called once per table as it is read. */
  onProgress?: (done: number, total: number, table: string) => void;
}

/** Column with its field type decided, or marked unknown. */
export function typedColumn(
  col: { name: string; dbType: string; nullable: boolean; comment?: string | null },
  fieldType: FieldType | undefined,
): IntrospectedColumn {
  return {
    name: col.name,
    dbType: col.dbType,
    nullable: col.nullable,
    ...(col.comment ? { comment: col.comment } : {}),
    ...(fieldType ? { fieldType } : { unknownType: true }),
  };
}
