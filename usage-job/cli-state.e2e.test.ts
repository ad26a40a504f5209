/**
 * The usage CLI's state folder end to end (spawned like `npm run --silent usage -- …`): runs over
 * two log folders of the same month never mix figures, with the default state folder or an
 * explicit one.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { logRecord } from '../sql/testing/log-fixtures';
import { writeLogFile } from '../sql/log-writer';
import { writeRegistryFile } from './testing/registry';
import { runUsageCli, type UsageCliRun } from './testing/usage-cli';

const ACCOUNT = '000000000000';
const DIST = 'E5TESTDIST';
/** Every log hour below is older than the local environment's 48 h late window at this time. */
const NOW = '2026-11-20T00:30:00Z';

let dir: string;
let logsA: string;
let logsB: string;
let keysFile: string;

const usage = (...args: string[]): Promise<UsageCliRun> => runUsageCli(args, { cwd: dir });
const common = (logs: string) => ['--engine', 'duckdb', '--month', '2026-11', '--logs', logs, '--registry', keysFile, '--now', NOW, '--dry-run'];

/** `count` requests at the hour's start plus i minutes; no attribution needed, totals differ per folder. */
function writeHour(logs: string, hour: string, count: number): Promise<string> {
  const records = Array.from({ length: count }, (_, i) => logRecord({ at: `${hour}:${String(i).padStart(2, '0')}:30Z` }));
  return writeLogFile(logs, ACCOUNT, DIST, new Date(`${hour}:00:00Z`), records);
}

interface Report {
  readonly totalRequests: number;
  readonly run: { readonly hoursConsidered: number; readonly hoursComputed: number };
}

function reportOf(result: UsageCliRun): Report {
  expect(result.stderr).not.toMatch(/usage: error/);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Report;
}

/** The report without its `run` part (how it was computed), i.e. the figures. */
const figures = (report: Report) => ({ ...report, run: undefined });

/** Every file under `root`: relative path to content. */
function filesOf(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const path of readdirSync(root, { recursive: true, encoding: 'utf8' }).sort()) {
    if (statSync(join(root, path)).isFile()) files[path] = readFileSync(join(root, path), 'utf8');
  }
  return files;
}

beforeAll(async () => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'usage-cli-state-')));
  // Same folder name, other parents: the default state folder must still tell them apart.
  logsA = join(dir, 'a', 'logs');
  logsB = join(dir, 'b', 'logs');
  mkdirSync(logsA, { recursive: true });
  mkdirSync(logsB, { recursive: true });
  keysFile = join(dir, 'registry.json');
  writeRegistryFile(keysFile, 'local', [{ id: 'acme', name: 'Acme Corp', value: 'acme-live-key-0123456789abcdef', plan: 'basic' }]);
  await writeHour(logsA, '2026-11-02T10', 3);
  await writeHour(logsA, '2026-11-05T08', 1);
  await writeHour(logsB, '2026-11-02T10', 5);
  await writeHour(logsB, '2026-11-07T14', 2);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('usage CLI state folder', () => {
  it('keeps the state of each --logs folder apart by default: each run gives the figures of a clean run over its own logs', async () => {
    const cleanA = reportOf(await usage(...common(logsA), '--state', join(dir, 'clean-a')));
    const cleanB = reportOf(await usage(...common(logsB), '--state', join(dir, 'clean-b')));
    expect([cleanA.totalRequests, cleanB.totalRequests]).toEqual([4, 7]);

    const firstA = await usage(...common(logsA));
    const firstB = await usage(...common(logsB));
    const againA = await usage(...common(logsA));

    expect(figures(reportOf(firstA))).toEqual(figures(cleanA));
    expect(figures(reportOf(firstB))).toEqual(figures(cleanB));
    expect(reportOf(firstB).run.hoursComputed).toBe(reportOf(firstB).run.hoursConsidered);
    expect(figures(reportOf(againA))).toEqual(figures(cleanA));
    expect(reportOf(againA).run.hoursComputed).toBe(0);
    const folderOf = (logs: string) => join(dir, '.local', 'usage-state', 'local', `logs-${createHash('sha256').update(logs).digest('hex').slice(0, 8)}`);
    expect(firstA.stderr).toContain(`usage: usage state in ${folderOf(logsA)}, for the logs at ${pathToFileURL(logsA).href}\n`);
    expect(firstB.stderr).toContain(`usage: usage state in ${folderOf(logsB)}, for the logs at ${pathToFileURL(logsB).href}\n`);
  });

  it('refuses an explicit --state of other logs with one line, printing nothing and changing nothing', async () => {
    const state = join(dir, 'shared-state');
    reportOf(await usage(...common(logsA), '--state', state));
    const before = filesOf(state);

    const result = await usage(...common(logsB), '--state', state);

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `usage: error: the usage state in ${state} was computed from ${pathToFileURL(logsA).href}, but this run reads ${pathToFileURL(logsB).href}; ` +
        `pass --state DIR for a separate state folder, or move ${state} aside to start over\n`,
    );
    expect(filesOf(state)).toEqual(before);
  });
});
