import type { RequestContext } from '../src/graph/context';
import type { Governance } from '../src/governance';

/** What every resolver of the hand-written API receives: the request's context plus the governance plane. */
export type GatewayContext = RequestContext & { readonly governance: Governance };
