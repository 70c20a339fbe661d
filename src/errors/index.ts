export { ErrorCode } from './codes';
export { DatagateError, isDatagateError, badInput, invariant, UnreachableCaseError } from './DatagateError';
export { ConfigError, formatProblem, type ConfigProblem } from './ConfigError';
export { scrubValues, describeError } from './scrubValues';
