export * from './types';
export { loadModel, buildModel, createRegistry } from './loadModel';
export { lowerFirst, pluralize } from './naming';
