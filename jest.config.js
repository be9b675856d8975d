/** Three projects: `unit` (pure logic, no servers), `integration` (a real Temporal dev server and the AWS emulator,
 * started once for the run by the global setup) and `containers` (the image and docker compose on a container engine,
 * run by `npm run test:containers` after the installer has prepared the engine; not part of a bare `jest`). */
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] };

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 120_000,
  // The global teardown fails the run when a test leaves a server listening or a process running. What it cannot see
  // (an in-process Temporal worker a failed test never shut down) must not hold the run open until CI's time limit.
  forceExit: true,
  // tsc copies package.json into dist/ (the CLI imports its version), and jest's module map would take that copy for a
  // second package named ebbflow. Tests that run the build start it as a process of its own.
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
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
