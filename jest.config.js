/** ESM project: jest runs with --experimental-vm-modules and ts-jest in ESM mode (see README). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // thrift (under @databricks/sql) require()s uuid 13, which is ESM only; jest's CommonJS loader
    // cannot load that before Node.js 24.9 (Node.js itself can, and the bundles inline it). In tests
    // it gets the CommonJS build of uuid 11, the root copy, whose parse and stringify are the same.
    '^uuid$': '<rootDir>/node_modules/uuid/dist/cjs/index.js',
  },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // The deployed-stack suite runs through `npm run test:deployed` only.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/deployed/'],
  globalSetup: '<rootDir>/test/setup/global-setup.js',
  globalTeardown: '<rootDir>/test/setup/global-teardown.js',
  setupFilesAfterEnv: ['<rootDir>/test/setup/secret-watch.ts', '<rootDir>/test/setup/openapi-watch.ts'],
  testTimeout: 30_000,
  maxWorkers: 2,
};
