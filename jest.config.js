/** Three projects: `unit` (pure logic, no servers), `integration` (a real Temporal dev server and the AWS emulator,
 * started once for the run by the global setup) and `containers` (the image and docker compose on a container engine,
 * run by `npm run test:containers` after the installer has prepared the engine; not part of a bare `jest`). */
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] };

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 120_000,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  projects: [
    { displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'], transform, testEnvironment: 'node' },
    {
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      transform,
      testEnvironment: 'node',
      setupFiles: ['<rootDir>/test/support/quiet-runtime.ts'],
      slowTestThreshold: 60,
    },
    {
      displayName: 'containers',
      testMatch: ['<rootDir>/test/containers/**/*.test.ts'],
      transform,
      testEnvironment: 'node',
      setupFiles: ['<rootDir>/test/support/quiet-runtime.ts'],
      slowTestThreshold: 600,
    },
  ],
};
