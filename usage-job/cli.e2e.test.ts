/** The usage CLI end to end: spawned like `npm run --silent usage -- …`, on generated logs. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { platformConfig } from '../config/environments';
import { apiKeyFingerprint } from '../contracts/api-key';
import { logRecord } from '../sql/testing/log-fixtures';
import { writeLogFile } from '../sql/log-writer';
import { writeRegistryFile } from './testing/registry';
import { chargesFor } from '../contracts/prices';
import { runUsageCli, type UsageCliRun } from './testing/usage-cli';

const ACCOUNT = '000000000000';
const DIST = 'E4TESTDIST';
const VALUE_A = 'acme-live-key-0123456789abcdef';
const VALUE_B = 'globex-live-key-9876543210fedcba';
const FP_A = apiKeyFingerprint(VALUE_A);
const FP_B = apiKeyFingerprint(VALUE_B);

let dir: string;
let logs: string;
let registryFile: string;
const plans = platformConfig.local.usagePlans;

const usage = (...args: string[]): Promise<UsageCliRun> => runUsageCli(args, { cwd: dir });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'usage-cli-'));
  logs = join(dir, 'logs');
  registryFile = join(dir, 'registry.json');
  writeRegistryFile(registryFile, 'local', [
    { id: 'acme', name: 'Acme Corp', value: VALUE_A, plan: 'basic' },
    { id: 'globex', name: 'Globex, Inc.', value: VALUE_B, plan: 'pro' },
    { id: 'initech', name: 'Initech', value: 'initech-key-aaaaaaaaaaaaaaaa', plan: 'basic' },
  ]);
  await writeLogFile(logs, ACCOUNT, DIST, new Date('2026-11-01T00:00:00Z'), [
    logRecord({ at: '2026-10-31T23:59:59Z', logData: FP_A, bytesOut: 999 }), // previous month's date
    logRecord({ at: '2026-11-01T00:01:00Z', logData: FP_A, bytesOut: 1_500_000_000 }),
  ]);
  const duplicate = logRecord({ at: '2026-11-02T10:01:00Z', query: 'v=1', logData: FP_B, bytesOut: 500_000_000 });
  await writeLogFile(logs, ACCOUNT, DIST, new Date('2026-11-02T10:00:00Z'), [
    duplicate,
    logRecord({ at: '2026-11-02T10:02:00Z', logData: FP_A, status: 429 }),
    logRecord({ at: '2026-11-02T10:03:00Z', logData: FP_A, status: 503 }),
    logRecord({ at: '2026-11-02T10:04:00Z', query: `apikey_fp=${FP_A}` }), // typed by the viewer: never attributes
    logRecord({ at: '2026-11-02T10:05:00Z', logData: FP_B.toUpperCase() }),
    logRecord({ at: '2026-11-02T10:06:00Z', logData: 'ffffffffffffffff', status: 404 }),
  ]);
  await writeLogFile(logs, ACCOUNT, DIST, new Date('2026-11-02T10:00:00Z'), [duplicate]); // re-delivered
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const common = () => ['--engine', 'duckdb', '--month', '2026-11', '--logs', logs, '--registry', registryFile, '--now', '2026-11-02T12:30:00Z', '--dry-run'];

describe('usage CLI', () => {
  it('prints the usage CLI JSON document, exactly, and progress on stderr', async () => {
    const result = await usage(...common(), '--state', join(dir, 'state-json'));
    expect(result.stderr).toMatch(/computed \d+ of \d+ hours/);
    expect(result.code).toBe(0);
    const hoursConsidered = 1 + 24 + 13; // 2026-10-31T23 .. 2026-11-02T12
    expect(JSON.parse(result.stdout)).toEqual({
      month: '2026-11',
      keys: [
        {
          id: 'acme',
          name: 'Acme Corp',
          requests: 1,
          rejected: 1,
          errors: 1,
          bytesOut: 1_500_000_000,
          quota: plans.basic.monthlyQuota,
          quotaUsedPercent: 100 / plans.basic.monthlyQuota,
          bytesIn: 128,
          thresholdsReached: [],
        },
        {
          id: 'globex',
          name: 'Globex, Inc.',
          requests: 1,
          rejected: 0,
          errors: 0,
          bytesOut: 500_000_000,
          quota: plans.pro.monthlyQuota,
          quotaUsedPercent: 100 / plans.pro.monthlyQuota,
          bytesIn: 128,
          thresholdsReached: [],
        },
        {
          id: 'initech',
          name: 'Initech',
          requests: 0,
          rejected: 0,
          errors: 0,
          bytesOut: 0,
          quota: plans.basic.monthlyQuota,
          quotaUsedPercent: 0,
          bytesIn: 0,
          thresholdsReached: [],
        },
      ],
      unattributed: { requests: 3 },
      totalRequests: 7,
      quotaThresholds: [80, 100],
      sinks: [],
      run: {
        engine: 'duckdb',
        environment: 'local',
        now: '2026-11-02T12:30:00.000Z',
        hoursConsidered,
        hoursComputed: hoursConsidered,
        hoursKeptFromOtherSql: 0,
        bytesScanned: expect.any(Number),
        published: false,
        sinks: 'ok',
        attribution: { registry: { location: registryFile, revision: 1, etag: expect.stringMatching(/^[0-9a-f]{64}$/) } },
      },
    });
    const again = JSON.parse((await usage(...common(), '--state', join(dir, 'state-json'))).stdout);
    expect(again.run).toMatchObject({ hoursComputed: 0, bytesScanned: 0 });
    expect({ ...again, run: undefined }).toEqual({ ...JSON.parse(result.stdout), run: undefined });
  });

  it('counts the previous-month record for October', async () => {
    const result = await usage(
      '--engine',
      'duckdb',
      '--month',
      '2026-10',
      '--logs',
      logs,
      '--registry',
      registryFile,
      '--now',
      '2026-11-02T12:30:00Z',
      '--dry-run',
      '--state',
      join(dir, 'state-oct'),
    );
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.keys[0]).toMatchObject({ id: 'acme', requests: 1, bytesOut: 999 });
    expect(report.unattributed).toEqual({ requests: 0 });
  });

  it('prints a readable table', async () => {
    const result = await usage(...common(), '--state', join(dir, 'state-table'), '--format', 'table');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('Usage for 2026-11 (month to date, UTC)');
    expect(lines.find((l) => l.startsWith('acme '))).toMatch(/^acme\s+Acme Corp\s+1\s+1\s+1\s+1\.50 GB\s+100\s+1\.00 %$/);
    expect(result.stdout).toContain('unattributed requests (no known apikey_fp, never billed): 3 of 7');
  });

  it("writes invoice lines as CSV and JSON at each customer's plan price (local runs: the config's prices)", async () => {
    const prices = platformConfig.local.prices;
    const csvPath = join(dir, 'invoice.csv');
    const jsonPath = join(dir, 'invoice.json');
    expect((await usage(...common(), '--state', join(dir, 'state-inv'), '--invoice', csvPath)).code).toBe(0);
    expect((await usage(...common(), '--state', join(dir, 'state-inv'), '--invoice', jsonPath)).code).toBe(0);
    const csv = readFileSync(csvPath, 'utf8').split('\r\n');
    expect(csv[0]).toBe(
      'month,status,asOf,customerId,customer,plan,stripeCustomerId,marketplaceAccountId,marketplaceLicenseArn,requests,bytesOut,gbOut,requestsTiers,gbOutTiers,requestsAmount,bytesOutAmount,amount,currency,carriedCorrections',
    );
    const acme = chargesFor(prices.plans.basic, { requests: 1, bytesOut: 1_500_000_000 });
    const globex = chargesFor(prices.plans.pro, { requests: 1, bytesOut: 500_000_000 });
    expect(csv[1].startsWith('2026-11,month-to-date,2026-11-02T12:30:00.000Z,acme,Acme Corp,basic,,,,1,1500000000,1.5,')).toBe(true);
    expect(csv[1].endsWith(`,${acme.requests.amount},${acme.gbOut.amount},${acme.total},${prices.currency},`)).toBe(true); // no carried corrections
    expect(csv[2].startsWith('2026-11,month-to-date,2026-11-02T12:30:00.000Z,globex,"Globex, Inc.",pro,,,,1,500000000,0.5,')).toBe(true);
    const json = JSON.parse(readFileSync(jsonPath, 'utf8'));
    expect(json.lines.map((l: { customerId: string; plan: string; amount: number }) => [l.customerId, l.plan, l.amount])).toEqual([
      ['acme', 'basic', acme.total],
      ['globex', 'pro', globex.total],
      ['initech', 'basic', 0],
    ]);
    expect(json.lines[1].charges).toEqual(JSON.parse(JSON.stringify(globex)));
  });

  it('prints help and exits 0', async () => {
    const result = await usage('--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--engine duckdb|athena');
  });

  const errorCases: [string, string[], RegExp][] = [
    ['a bad month', ['--engine', 'duckdb', '--month', '2026-13'], /--month must be a month as YYYY-MM/],
    ['a missing engine', ['--month', '2026-11'], /--engine must be duckdb or athena/],
    ['an unknown option', ['--engine', 'duckdb', '--month', '2026-11', '--bogus'], /Unknown option '--bogus'/],
    [
      'a missing logs directory',
      ['--engine', 'duckdb', '--month', '2026-11', '--logs', '/nonexistent/logs', '--registry', 'r.json'],
      /--logs \/nonexistent\/logs: no such directory/,
    ],
    [
      'an unknown environment',
      ['--engine', 'duckdb', '--month', '2026-11', '--env', 'staging'],
      /--env staging: unknown environment \(known: dev, prod, local\)/,
    ],
    ['a bad invoice extension', ['--engine', 'duckdb', '--month', '2026-11', '--invoice', 'out.xlsx'], /must end in \.csv or \.json/],
    ['a bad --now', ['--engine', 'duckdb', '--month', '2026-11', '--now', 'yesterday'], /--now must be an ISO time/],
  ];
  for (const [name, args, message] of errorCases) {
    it(`fails with one line for ${name}`, async () => {
      const result = await usage(...args);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    });
  }

  it('refuses, in one line, a registry that is not JSON, of another environment, or names a plan the environment lacks', async () => {
    const bad = join(dir, 'bad-registry.json');
    const run = () => usage('--engine', 'duckdb', '--month', '2026-11', '--logs', logs, '--registry', bad, '--dry-run', '--state', join(dir, 'state-bad'));
    writeFileSync(bad, '{"format":');
    let result = await run();
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(new RegExp(`^usage: error: registry ${bad} is not valid JSON .*; restore a previous version$`));
    writeRegistryFile(bad, 'dev', [{ id: 'acme', name: 'Acme', value: VALUE_A, plan: 'basic' }]);
    result = await run();
    expect(result.stderr.trim()).toBe(`usage: error: registry ${bad} belongs to environment "dev", not "local"; check --env`);
    writeRegistryFile(bad, 'local', [{ id: 'acme', name: 'Acme', value: VALUE_A, plan: 'gold' }]);
    result = await run();
    expect(result.stderr.trim()).toBe(
      `usage: error: registry ${bad}: customer "acme" has plan "gold", which this environment does not deploy (plans: basic, pro); deploy the plan or run keys set-plan`,
    );
    expect(result.stdout).toBe('');
  });

  it('fails for a month that has not started', async () => {
    const result = await usage(
      '--engine',
      'duckdb',
      '--month',
      '2027-01',
      '--logs',
      logs,
      '--registry',
      registryFile,
      '--now',
      '2026-11-02T12:30:00Z',
      '--dry-run',
      '--state',
      join(dir, 'state-future'),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/month 2027-01 has not started yet/);
  });
});
