export { runChecks, planChecks, type RunChecksOptions, type PlannedCheck } from './runChecks';
export { specifiedChecks } from './specifiedChecks';
export { formatResultsTable, formatObserved } from './formatResults';
export { REFERENCE_BATCH } from './ReferencesCheck';
export { createQualityMonitor, type QualityMonitor, type QualityMonitorOptions, type EntityQuality } from './monitor';
export { recordResults, recordHistory, latestRecords, toRecord, type QualityRecord } from './record';
export type { CheckResult, CheckContext, Measure, QualityCheck, CheckKind, CheckSpec } from './types';
