export { runChecks, planChecks, type RunChecksOptions, type PlannedCheck } from './runChecks';
export { specifiedChecks } from './specifiedChecks';
export { formatResultsTable, formatObserved } from './formatResults';
export { REFERENCE_BATCH } from './ReferencesCheck';
export type { CheckResult, CheckContext, Measure, QualityCheck, CheckKind, CheckSpec } from './types';
