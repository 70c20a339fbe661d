export * from './types';
export { loadModel, buildModel, createRegistry } from './loadModel';
export { lowerFirst, pluralize, RESERVED_ROOT_FIELDS } from './naming';
