/** ESM project: jest runs with --experimental-vm-modules and ts-jest in ESM mode (see README). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
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
