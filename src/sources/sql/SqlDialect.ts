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
  /** SQL template (one `??` for the column) for an aggregate where the engine's default loses precision. */
  aggregateTemplate?(fn: string, type: FieldType): string | undefined;
}
