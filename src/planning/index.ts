export * from './conditions';
export * from './plan';
export { whereToCondition } from './where';
export { orderByToTerms, withKeyTieBreak } from './orderBy';
export { keysetAfter } from './keyset';
export { retentionCondition } from './retention';
