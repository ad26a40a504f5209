/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': '<rootDir>/test-support/esbuild-jest-transform.js' },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/cdktf.out/', '/.local/', '/.venv/'],
  reporters: ['default', '<rootDir>/test-support/summary-reporter.js'],
  testTimeout: 60000,
};
