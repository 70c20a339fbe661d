import type { Knex } from 'knex';
import type { FieldType } from '../../model';
import type { OrderTerm } from '../../planning';
import type { Capabilities } from '../SourceAdapter';
import type { OperatorTable } from './operators';

/** Everything that differs between engines when turning a plan into SQL. */
export interface SqlDialect {
  readonly capabilities: Capabilities;
  /** A connection-less knex used only to build and compile queries. */
  readonly builder: Knex;
  /** Canonical JS value → what this engine's driver binds (e.g. Date → ISO text on SQLite). */
  encode(type: FieldType, value: unknown): unknown;
  /** One ORDER BY item of a nullable column, identifiers as `??` bindings. */
  orderTerm(ref: string, term: OrderTerm): { sql: string; bindings: unknown[] };
  readonly operators: OperatorTable;
  /**
   * Field types whose driver values need decoding in JS; the rest already arrive in a form the
   * GraphQL scalars serialise to the canonical value (e.g. pg's int8 text, which GraphQL's Int
   * serialises as a number). Undefined: decode every type.
   */
  readonly decodedTypes?: ReadonlySet<FieldType>;
  /** How the engine reads related rows inside their parents' statement, as JSON (Capabilities.nestedRows). */
  readonly nestedRows?: NestedRowsSql;
  /** SQL template (one `??` for the column) for an aggregate where the engine's default loses precision. */
  aggregateTemplate?(fn: string, type: FieldType): string | undefined;
}

/**
 * Related rows as JSON inside their parents' statement. Each related row is one JSON array of cells;
 * a to-many relationship is a JSON array of those, a to-one one of them or NULL.
 */
export interface NestedRowsSql {
  /** One row's cells (SQL expressions) as a JSON array. */
  row(cells: readonly string[]): string;
  /** How a to-many relationship's rows, in order and paged, become one JSON value. */
  readonly list: NestedList;
  /**
   * A field's column (one `??`) as a cell whose JSON keeps its value exactly as the driver would
   * have returned it at the top level, once decode.ts's decoders have run: text where JSON would
   * lose digits, zone or form (numeric, int8, timestamps, dates, JSON).
   */
  cell(type: FieldType): string;
}

/**
 * - `subquery` (PostgreSQL): the related rows' own ordered, paged subquery, one `row()` per row,
 *   wrapped into a JSON array (empty when none).
 * - `aggregate` (MariaDB, which has no LATERAL and cannot reach the parent from a derived table):
 *   one aggregate over the related rows that orders and pages inside itself
 *   (`JSON_ARRAYAGG(row ORDER BY … LIMIT n OFFSET m)`), beside the number of rows it had to page
 *   (`count(*)`): `[count, [rows…]]`, for a to-one relationship as well (`LIMIT 1`). The server may
 *   cut an aggregate's text at its packet size, or send NULL for a JSON value past it, with a warning
 *   only; decode.ts fails the statement on a NULL and on an array short of the rows the count and
 *   the page call for.
 */
export type NestedList =
  | { readonly kind: 'subquery'; wrap(subquery: string): string }
  | { readonly kind: 'aggregate'; aggregate(row: string, order: string, limit: number | undefined, offset: number | undefined): string };
