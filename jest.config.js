/**
 * Two tiers. The fast tier, `npm test` (and plain `npx jest`), leaves out the tests that start
 * servers, browsers or Terraform: *.moto, *.e2e, *.browser and *.engine tests and the load test.
 * `npm run test:all` (JEST_TIER=all) runs every test; .ci/run runs it. To run one slow file:
 * `npm run test:all -- <path>`.
 * @type {import('jest').Config}
 */
const SLOW_TESTS = ['\\.(moto|e2e|browser|engine)\\.test\\.ts$', '/local/load\\.test\\.ts$'];

module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': '<rootDir>/test-support/esbuild-jest-transform.js' },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/cdktf.out/', '/.local/', '/.venv/', ...(process.env.JEST_TIER === 'all' ? [] : SLOW_TESTS)],
  reporters: ['default', '<rootDir>/test-support/summary-reporter.js'],
  testTimeout: 60000,
};
