/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.tsx?$': ['@swc/jest'] },
  globalSetup: '<rootDir>/test/global-setup.ts',
  setupFilesAfterEnv: ['<rootDir>/test/setup.ts'],
  snapshotSerializers: ['<rootDir>/test/asset-hash-serializer.ts'],
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
  testTimeout: 60_000,
  // One worker per core (jest's default leaves one core idle): the suites spend much of their time
  // waiting on child processes (npm, tsc, synths, servers), so two workers on two cores finish
  // about a quarter sooner.
  maxWorkers: '100%',
};
