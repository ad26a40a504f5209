/** The usage CLI's argument checks, in process (the child-process runs are in cli.e2e.test.ts). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_FLAGS, HELP } from './cli';
import { runCliInProcess } from './testing/cli-workspace';

const run = (...argv: string[]) => runCliInProcess(argv);

const errorCases: [string, string[], RegExp][] = [
  ['a missing month', ['--engine', 'duckdb'], /--month YYYY-MM is required/],
  ['a malformed month', ['--engine', 'duckdb', '--month', '2026-13'], /--month must be a month as YYYY-MM/],
  ['an engine that does not exist', ['--engine', 'spark', '--month', '2026-11'], /--engine must be duckdb or athena, got "spark"/],
  ['a DuckDB run without --logs', ['--engine', 'duckdb', '--month', '2026-11'], /--logs DIR is required with --engine duckdb/],
  ['an Athena run given --logs', ['--engine', 'athena', '--env', 'dev', '--month', '2026-11', '--logs', '.'], /--logs applies to --engine duckdb only/],
  ['a bad --format', ['--engine', 'duckdb', '--month', '2026-11', '--format', 'xml'], /--format must be json or table/],
  ['a bad --late-window-hours', ['--engine', 'duckdb', '--month', '2026-11', '--late-window-hours', '1.5'], /--late-window-hours must be a whole number/],
];

test.each(errorCases)('refuses %s with one line on stderr, exit 1, nothing on stdout', async (_name, argv, message) => {
  const result = await run(...argv);
  expect(result.code).toBe(1);
  expect(result.out).toBe('');
  expect(result.err.trimEnd().split('\n')).toHaveLength(1);
  expect(result.err).toMatch(message);
});

test('--help prints the usage text on stdout and exits 0', async () => {
  const result = await run('--help');
  expect(result.code).toBe(0);
  expect(result.out).toMatch(/^Usage: npm run --silent usage -- --engine duckdb\|athena --month YYYY-MM/);
  expect(result.err).toBe('');
});

test('every flag the CLI parses is in --help and in the usage CLI section of docs/contracts.md', () => {
  const contracts = readFileSync(join(__dirname, '..', 'docs', 'contracts.md'), 'utf8');
  const section = contracts.slice(contracts.indexOf('## Usage CLI'), contracts.indexOf('\n## ', contracts.indexOf('## Usage CLI') + 1));
  const flags = Object.keys(CLI_FLAGS).map((name) => `--${name}`);
  expect(flags).toContain('--acknowledge-open-work');
  expect(flags.filter((flag) => !HELP.includes(`  ${flag}`))).toEqual([]);
  expect(flags.filter((flag) => !new RegExp(`${flag}(?![\\w-])`).test(section))).toEqual([]);
});
