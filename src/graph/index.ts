export { buildDataQueryFields } from './buildSchema';
export { createRequestContext, type Runtime, type RequestContext, type QueryTrace } from './context';
export { runPlan } from './execute';
