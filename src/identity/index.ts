export type { User, AttributeValue } from './User';
export { createTokenVerifier, AuthenticationError, type TokenVerifier } from './createTokenVerifier';
