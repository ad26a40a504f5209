/**
 * Two tiers. `npm test` (JEST_TIER=fast): unit and in-process tests, no moto server, browser,
 * child-process platform, load test or Terraform engine; well under a minute. `npm run test:all`:
 * everything, as .ci/run runs it. A test's tier is its file name's suffix.
 */
const SLOW_TIERS = ['\\.moto\\.test\\.ts$', '\\.e2e\\.test\\.ts$', '\\.browser\\.test\\.ts$', '\\.engine\\.test\\.ts$', '\\.load\\.test\\.ts$'];
const fast = process.env.JEST_TIER === 'fast';

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': '<rootDir>/test-support/esbuild-jest-transform.js' },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/cdktf.out/', '/.local/', '/.venv/', ...(fast ? SLOW_TIERS : [])],
  reporters: ['default', '<rootDir>/test-support/summary-reporter.js'],
  testTimeout: 60000,
  // Jest's default on a 2-core machine is one worker; two keep both cores busy.
  maxWorkers: 2,
};
