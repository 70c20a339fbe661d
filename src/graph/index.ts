export { buildDataQueryFields } from './buildSchema';
export { createRequestContext, type Runtime, type RequestContext, type QueryTrace, type TraceLabel } from './context';
export { runPlan } from './execute';
export { buildLineage, responsePath, type LineageEntry, type LineagePolicy } from './lineage';
