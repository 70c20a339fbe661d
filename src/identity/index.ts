export type { User, AttributeValue } from './User';
export { createTokenVerifier, AuthenticationError, type TokenVerifier } from './createTokenVerifier';
export { mintUserToken, readDevUsers, TokenMintError, type DevUsers } from './mintUserToken';
