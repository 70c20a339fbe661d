/** @type {import('jest').Config} */
const swc = ['@swc/jest', {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
}];
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.(t|j)s$': swc },
  // jose@6 is ESM-only: let swc turn it into CJS (Jest on Node 20 cannot require(esm)).
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/test/support/summaryReporter.js'],
};
