export { createGateway, type Gateway, type GatewayOptions } from './createGateway';
export { buildGatewaySchema } from './schema';
