export { buildDataQueryFields } from './buildSchema';
export { createRequestContext, roundedUp, type Runtime, type RequestContext, type QueryTrace, type TraceLabel } from './context';
export { runPlan } from './execute';
export { createRequestDeadline, type RequestDeadline } from './deadline';
export { buildLineage, responsePath, type LineageEntry, type LineagePolicy } from './lineage';
