export type { SourceAdapter, Capabilities, CancelSignal, CompiledQuery, Engine, Row, RunOptions, SourceStats } from './SourceAdapter';
export type { BreakerState } from './CircuitBreaker';
export { connectSource, connectSources } from './connectSource';
export { classifySourceError } from './classifyError';
export { ROW_NUMBER } from './sql/compile';
export { postgresDialect } from './postgres/dialect';
export { mysqlDialect } from './mysql/dialect';
export { sqliteDialect } from './sqlite/dialect';
export { compilePlan } from './sql/compile';
