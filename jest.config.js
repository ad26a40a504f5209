/**
 * Two tiers. `npm test` (JEST_TIER=fast): unit and in-process tests, needing only `npm ci` and
 * Debian's njs; well under a minute. `npm run test:all`: everything, as .ci/run runs it. A test's
 * tier is its file name's suffix: .moto (moto server), .e2e (processes over HTTP or the CLI),
 * .browser (Chromium), .load, .engine (Terraform against moto), .tools (terraform, actionlint and
 * the .venv Python tools that .ci/run installs).
 */
const SLOW_TIERS = ['moto', 'e2e', 'browser', 'load', 'engine', 'tools'].map((tier) => `\\.${tier}\\.test\\.ts$`);
// Tests write many small files with fsync (the usage job's state); in memory they cost nothing.
if (process.env.TMPDIR === undefined && require('node:fs').existsSync('/dev/shm')) process.env.TMPDIR = '/dev/shm';
const fast = process.env.JEST_TIER === 'fast';

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': '<rootDir>/test-support/esbuild-jest-transform.js' },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/cdktf.out/', '/.local/', '/.venv/', ...(fast ? SLOW_TIERS : [])],
  reporters: ['default', '<rootDir>/test-support/summary-reporter.js'],
  // The full run starts Terraform, moto and Chromium on 2 cores; a busy machine must not fail a test
  // that is only slow. The fast tier keeps a short limit so a hang shows quickly.
  testTimeout: fast ? 60000 : 300000,
  // Jest's default on a 2-core machine is one worker; two keep both cores busy.
  maxWorkers: 2,
};
