/** The incremental, rerun-safe computation over stored hourly rollups (DuckDB engine, local store). */
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { apiKeyFingerprint } from '../contracts/api-key';
import { oneKeyCustomer, type BilledCustomer } from './customers';
import { DuckDbUsageEngine } from './local/duckdb-engine';
import { hoursForMonth, OtherRegistryError, runIncremental } from './incremental-run';
import { LocalLogLister } from './local/log-lister';
import { LocalRollupStore } from './local/rollup-store';
import { monthUsage } from './month-usage';
import type { HourRollup, LogLister, RollupManifest, RollupStore, StoredManifest, StoredRollup } from './rollup-store';
import { localStateSource, OtherSourceError, usageSqlDigest } from './state-source';
import { logRecord } from '../sql/testing/log-fixtures';
import { writeLogFile, type LogRecord } from '../sql/log-writer';
import type { HourId, HourlyUsageRow } from './types';
import type { MonthUsage } from './month-figures';

const ACCOUNT = '000000000000';
const DIST = 'E3TESTDIST';
const KEY_A = {
  ...oneKeyCustomer('a', 'A', apiKeyFingerprint('key-A-aaaaaaaaaaaaaaaaaaaa'), 100),
  fingerprint: apiKeyFingerprint('key-A-aaaaaaaaaaaaaaaaaaaa'),
};
const KEY_B = {
  ...oneKeyCustomer('b', 'B', apiKeyFingerprint('key-B-bbbbbbbbbbbbbbbbbbbb'), 100),
  fingerprint: apiKeyFingerprint('key-B-bbbbbbbbbbbbbbbbbbbb'),
};
const KEYS = [KEY_A, KEY_B];

let root: string;
let state: string;
let engine: DuckDbUsageEngine;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'usage-incr-logs-'));
  state = mkdtempSync(join(tmpdir(), 'usage-incr-state-'));
  engine = new DuckDbUsageEngine(root);
});
afterEach(async () => {
  await engine.close();
  rmSync(root, { recursive: true, force: true });
  rmSync(state, { recursive: true, force: true });
});

function write(hour: string, records: readonly LogRecord[]): Promise<string> {
  return writeLogFile(root, ACCOUNT, DIST, new Date(`${hour}:00:00Z`), records);
}

function keyed(key: BilledCustomer & { fingerprint: string }, at: string, extra: { status?: number; bytesOut?: number } = {}): LogRecord {
  return logRecord({ at, logData: key.fingerprint, ...extra });
}

/** The store of `dir`, bound to the logs under `logRoot`. */
const storeAt = (dir: string, logRoot: string = root) => new LocalRollupStore(dir, localStateSource(logRoot));

async function run(month: string, now: string, store: RollupStore = storeAt(state), lateWindowHours = 48) {
  const result = await runIncremental({ month, now: new Date(now), lateWindowHours, engine, lister: new LocalLogLister(root), store });
  return { ...result, usage: monthUsage(month, result.rows, KEYS) };
}

const requestsOf = (usage: MonthUsage, id: string) => usage.keys.find((k) => k.id === id)!.requests;

describe('incremental usage run', () => {
  it('considers the month plus one partition hour either side, capped at now', () => {
    const hours = hoursForMonth('2026-11', new Date('2026-12-15T00:00:00Z'));
    expect(hours[0]).toBe('2026-10-31T23');
    expect(hours[hours.length - 1]).toBe('2026-12-01T00');
    expect(hours).toHaveLength(30 * 24 + 2);
    expect(hoursForMonth('2026-11', new Date('2026-11-02T05:30:00Z')).slice(-1)).toEqual(['2026-11-02T05']);
  });

  it('gives the same figures on a rerun and reads nothing the second time', async () => {
    await write('2026-11-02T10', [keyed(KEY_A, '2026-11-02T10:05:00Z'), keyed(KEY_B, '2026-11-02T10:06:00Z', { status: 404 })]);
    await write('2026-11-03T04', [keyed(KEY_A, '2026-11-03T04:05:00Z', { bytesOut: 77 })]);
    const first = await run('2026-11', '2026-11-03T06:10:00Z');
    const second = await run('2026-11', '2026-11-03T06:40:00Z');
    expect(first.bytesScanned).toBeGreaterThan(0);
    expect(second.hoursComputed).toEqual([]);
    expect(second.bytesScanned).toBe(0);
    expect(second.usage).toEqual(first.usage);
    expect(requestsOf(first.usage, 'a')).toBe(2);
    expect(first.usage.keys.find((k) => k.id === 'b')!.rejected).toBe(1);
  });

  it('picks up late logs in the late window on the next run, recomputing only the changed hours', async () => {
    await write('2026-11-03T01', [keyed(KEY_A, '2026-11-03T01:05:00Z')]);
    await write('2026-11-03T05', [keyed(KEY_A, '2026-11-03T05:05:00Z')]);
    const before = await run('2026-11', '2026-11-03T06:10:00Z');
    expect(requestsOf(before.usage, 'a')).toBe(2);

    await write('2026-11-03T01', [keyed(KEY_A, '2026-11-03T01:59:00Z'), keyed(KEY_B, '2026-11-03T01:58:00Z')]); // late delivery
    await write('2026-11-03T06', [keyed(KEY_B, '2026-11-03T06:01:00Z')]); // the new hour
    const after = await run('2026-11', '2026-11-03T07:10:00Z');
    expect(after.hoursComputed).toEqual(['2026-11-03T01', '2026-11-03T06', '2026-11-03T07']);
    expect(requestsOf(after.usage, 'a')).toBe(3);
    expect(requestsOf(after.usage, 'b')).toBe(2);
  });

  it('does not reread hours older than the late window', async () => {
    await write('2026-11-01T01', [keyed(KEY_A, '2026-11-01T01:05:00Z')]);
    await run('2026-11', '2026-11-01T02:00:00Z');
    await write('2026-11-01T01', [keyed(KEY_A, '2026-11-01T01:06:00Z')]);
    const later = await run('2026-11', '2026-11-04T02:00:00Z', undefined, 48);
    expect(later.hoursComputed).not.toContain('2026-11-01T01');
    expect(requestsOf(later.usage, 'a')).toBe(1);
  });

  it('counts each record once in the month of its date across a month boundary', async () => {
    await write('2026-10-31T23', [keyed(KEY_A, '2026-10-31T23:30:00Z'), keyed(KEY_A, '2026-11-01T00:00:00Z')]);
    await write('2026-11-01T00', [keyed(KEY_A, '2026-10-31T23:59:59Z'), keyed(KEY_A, '2026-11-01T00:10:00Z')]);
    await write('2026-11-30T23', [keyed(KEY_B, '2026-11-30T23:10:00Z')]);
    await write('2026-12-01T00', [keyed(KEY_B, '2026-11-30T23:59:58Z'), keyed(KEY_B, '2026-12-01T00:05:00Z')]);
    const october = await run('2026-10', '2026-12-01T03:00:00Z');
    const november = await run('2026-11', '2026-12-01T03:00:00Z');
    const december = await run('2026-12', '2026-12-01T03:00:00Z');
    expect([requestsOf(october.usage, 'a'), requestsOf(november.usage, 'a'), requestsOf(december.usage, 'a')]).toEqual([2, 2, 0]);
    expect([requestsOf(october.usage, 'b'), requestsOf(november.usage, 'b'), requestsOf(december.usage, 'b')]).toEqual([0, 2, 1]);
  });

  it('gives the same rollups after a crash at any point of the write sequence', async () => {
    await write('2026-11-03T01', [keyed(KEY_A, '2026-11-03T01:05:00Z')]);
    await write('2026-11-03T02', [keyed(KEY_B, '2026-11-03T02:05:00Z')]);
    const clean = await run('2026-11', '2026-11-03T03:10:00Z', storeAt(join(state, 'clean')));
    // A late file arrives; then the run crashes after k rollup writes (k = 0, 1, 2, ...) or before the manifest.
    await write('2026-11-03T01', [keyed(KEY_A, '2026-11-03T01:50:00Z')]);
    const expected = await run('2026-11', '2026-11-03T04:10:00Z', storeAt(join(state, 'reference')));
    expect(requestsOf(expected.usage, 'a')).toBe(requestsOf(clean.usage, 'a') + 1);
    for (let crashAfter = 0; crashAfter <= expected.hoursComputed.length; crashAfter += 1) {
      const dir = join(state, `crash-${crashAfter}`);
      await run('2026-11', '2026-11-03T03:10:00Z', storeAt(dir));
      await expect(run('2026-11', '2026-11-03T04:10:00Z', new CrashingStore(storeAt(dir), crashAfter))).rejects.toThrow('simulated crash');
      const rerun = await run('2026-11', '2026-11-03T04:10:00Z', storeAt(dir));
      expect(rerun.usage).toEqual(expected.usage);
      const again = await run('2026-11', '2026-11-03T04:20:00Z', storeAt(dir));
      expect(again.usage).toEqual(expected.usage);
      expect(again.hoursComputed).toEqual([]);
    }
  });
});

describe('usage state bound to the key registry it was attributed with', () => {
  const registry = (location: string, revision: number) => ({ registry: { location, revision, etag: `"etag-${revision}"`, versionId: `v${revision}` } });

  it('records the registry revision and deployment file of each run in the manifest; a new revision re-attributes the whole month', async () => {
    await write('2026-11-02T10', [keyed(KEY_A, '2026-11-02T10:05:00Z')]);
    const store = storeAt(state);
    const attribution = {
      ...registry('s3://reg/registry.json', 3),
      deployment: { location: 's3://usage/config/usage-job.json', etag: '"d"', versionId: 'dv' },
    };
    await runIncremental({
      month: '2026-11',
      now: new Date('2026-11-02T12:00:00Z'),
      lateWindowHours: 48,
      engine,
      lister: new LocalLogLister(root),
      store,
      attribution,
    });
    expect(await store.readManifest()).toMatchObject({ attribution });
    const next = registry('s3://reg/registry.json', 4);
    const again = await runIncremental({
      month: '2026-11',
      now: new Date('2026-11-02T12:00:00Z'),
      lateWindowHours: 48,
      engine,
      lister: new LocalLogLister(root),
      store,
      attribution: next,
    });
    expect(again.hoursComputed).toEqual([]); // rollups hold fingerprints only: nothing of them depends on the registry
    expect(await store.readManifest()).toMatchObject({ attribution: next });
  });

  it('refuses a state attributed with another key registry before reading or writing anything', async () => {
    await write('2026-11-02T10', [keyed(KEY_A, '2026-11-02T10:05:00Z')]);
    const store = storeAt(state);
    const common = { month: '2026-11', now: new Date('2026-11-02T12:00:00Z'), lateWindowHours: 48, engine, store };
    await runIncremental({ ...common, lister: new LocalLogLister(root), attribution: registry('s3://reg-dev/registry.json', 1) });
    const listed: HourId[][] = [];
    const spy: LogLister = {
      listHours: (hours) => {
        listed.push([...hours]);
        return new LocalLogLister(root).listHours(hours);
      },
    };
    const attempt = runIncremental({ ...common, lister: spy, attribution: registry('s3://reg-prod/registry.json', 1) });
    await expect(attempt).rejects.toThrow(OtherRegistryError);
    await expect(attempt).rejects.toThrow(
      `the usage state in ${state} was attributed with the key registry s3://reg-dev/registry.json, but this run reads s3://reg-prod/registry.json`,
    );
    expect(listed).toEqual([]);
  });
});

describe('usage state bound to its logs and its SQL', () => {
  const NOW = '2026-11-20T00:30:00Z'; // the log hours below are all older than the 48 h late window
  let other: string;
  beforeEach(() => {
    other = mkdtempSync(join(tmpdir(), 'usage-incr-other-'));
  });
  afterEach(() => rmSync(other, { recursive: true, force: true }));

  const writeIn = (logRoot: string, hour: HourId, count: number) =>
    writeLogFile(
      logRoot,
      ACCOUNT,
      DIST,
      new Date(`${hour}:00:00Z`),
      Array.from({ length: count }, (_, i) => logRecord({ at: `${hour}:${String(10 + i).padStart(2, '0')}:00Z` })),
    );
  const uriOf = (logRoot: string) => pathToFileURL(realpathSync(logRoot)).href;

  /** One run over `logRoot` with its own engine; progress lines collected. */
  async function runOver(logRoot: string, store: RollupStore, lister: LogLister = new LocalLogLister(logRoot), now: string = NOW) {
    const progress: string[] = [];
    const logsEngine = new DuckDbUsageEngine(logRoot);
    try {
      const result = await runIncremental({
        month: '2026-11',
        now: new Date(now),
        lateWindowHours: 48,
        engine: logsEngine,
        lister,
        store,
        progress: (m) => progress.push(m),
      });
      return { ...result, usage: monthUsage('2026-11', result.rows, KEYS), progress };
    } finally {
      await logsEngine.close();
    }
  }

  it('reuses the state of the same logs, however their root is spelled', async () => {
    await writeIn(root, '2026-11-02T10', 3);
    const first = await runOver(root, storeAt(state));
    const link = join(other, 'link-to-logs');
    symlinkSync(root, link);
    const again = await runOver(link, storeAt(state, link));
    expect(first.usage.totalRequests).toBe(3);
    expect(again.hoursComputed).toEqual([]);
    expect(again.bytesScanned).toBe(0);
    expect(again.usage).toEqual(first.usage);
  });

  it('refuses a state computed from other logs before reading or writing anything, naming both', async () => {
    await writeIn(root, '2026-11-02T10', 3);
    await writeIn(other, '2026-11-02T10', 5);
    await runOver(root, storeAt(state));
    const before = filesOf(state);
    const listed: HourId[][] = [];
    const spy: LogLister = {
      listHours: (hours) => {
        listed.push([...hours]);
        return new LocalLogLister(other).listHours(hours);
      },
    };

    const attempt = runOver(other, storeAt(state, other), spy);

    await expect(attempt).rejects.toThrow(OtherSourceError);
    await expect(attempt).rejects.toThrow(
      `the usage state in ${state} was computed from ${uriOf(root)}, but this run reads ${uriOf(other)}; move ${state} aside to start over`,
    );
    expect(listed).toEqual([]);
    expect(filesOf(state)).toEqual(before);
  });

  it('recomputes every hour of a version-1 state (no source, no SQL digest), with the figures of a clean run', async () => {
    await writeIn(root, '2026-11-02T10', 3);
    await writeIn(root, '2026-11-03T04', 2);
    const clean = await runOver(root, storeAt(join(other, 'clean-state')));
    await runOver(root, storeAt(state));
    const storedHours = downgradeToVersion1(state);

    const upgraded = await runOver(root, storeAt(state));

    expect(upgraded.hoursComputed).toHaveLength(upgraded.hoursConsidered);
    expect(upgraded.progress).toContain(`${storedHours} stored hours were computed by another SQL version; recomputing`);
    expect(upgraded.usage).toEqual(clean.usage);
    expect(upgraded.usage.totalRequests).toBe(5);
    expect(JSON.parse(readFileSync(join(state, 'manifest.json'), 'utf8'))).toMatchObject({ version: 2, source: uriOf(root), sqlDigest: usageSqlDigest() });
    expect(readRollup(state, '2026-11-02T10')).toMatchObject({ format: 2, source: uriOf(root), sqlDigest: usageSqlDigest() });
    const next = await runOver(root, storeAt(state));
    expect(next.hoursComputed).toEqual([]);
    expect(next.usage).toEqual(clean.usage);
  });

  it('recomputes a rollup computed by another SQL, and only that one', async () => {
    await writeIn(root, '2026-11-02T10', 3);
    await writeIn(root, '2026-11-03T04', 2);
    const first = await runOver(root, storeAt(state));
    rewriteRollup(state, '2026-11-02T10', (r) => ({ ...r, sqlDigest: '0'.repeat(64), rows: r.rows.map(inflate) }));

    const second = await runOver(root, storeAt(state));

    expect(second.hoursComputed).toEqual(['2026-11-02T10']);
    expect(second.progress).toContain('1 stored hour was computed by another SQL version; recomputing');
    expect(second.usage).toEqual(first.usage);
    expect(readRollup(state, '2026-11-02T10').sqlDigest).toBe(usageSqlDigest());
  });

  it('keeps the hours of a final month computed by another SQL as invoiced, and says so', async () => {
    await writeIn(root, '2026-11-02T10', 3);
    await writeIn(root, '2026-11-03T04', 2);
    await runOver(root, storeAt(state));
    rewriteRollup(state, '2026-11-02T10', (r) => ({ ...r, sqlDigest: '0'.repeat(64), rows: r.rows.map(inflate) }));
    const afterSettled = '2026-12-03T00:30:00Z'; // past 1 December plus the 48 h late window: final

    const kept = await runOver(root, storeAt(state), new LocalLogLister(root), afterSettled);

    expect(kept.hoursKeptFromOtherSql).toBe(1);
    expect(kept.hoursComputed).not.toContain('2026-11-02T10');
    expect(kept.usage.totalRequests).toBe(5 + 100); // the inflated figure stored for that hour is what was invoiced
    expect(kept.progress).toContain(
      '1 stored hour was computed by another SQL version; 2026-11 is final, so they are kept as invoiced (delete their rollups to recompute them from the logs)',
    );
    expect(readRollup(state, '2026-11-02T10').sqlDigest).toBe('0'.repeat(64));
  });

  it('recomputes rollups of other logs when no manifest names a source (a crashed first run of other logs)', async () => {
    await writeIn(root, '2026-11-02T10', 3);
    await writeIn(other, '2026-11-02T10', 5);
    const clean = await runOver(other, storeAt(join(other, 'clean-state')));
    await runOver(root, storeAt(state));
    rmSync(join(state, 'manifest.json'));

    const result = await runOver(other, storeAt(state, other));

    expect(result.hoursComputed).toHaveLength(result.hoursConsidered);
    expect(result.progress).toContain(`${result.hoursConsidered} stored hours were computed from other logs; recomputing`);
    expect(result.usage).toEqual(clean.usage);
    expect(result.usage.totalRequests).toBe(5);
  });

  it('leaves a version-1 state that the next run upgrades like a clean run after a crash between rollups and manifest', async () => {
    await writeIn(root, '2026-11-02T10', 3);
    await writeIn(root, '2026-11-03T04', 2);
    const clean = await runOver(root, storeAt(join(other, 'clean-state')));
    await runOver(root, storeAt(state));
    downgradeToVersion1(state);

    await expect(runOver(root, new CrashingStore(storeAt(state), Number.MAX_SAFE_INTEGER))).rejects.toThrow('simulated crash');
    expect(JSON.parse(readFileSync(join(state, 'manifest.json'), 'utf8'))).toMatchObject({ version: 1 });
    const rerun = await runOver(root, storeAt(state));
    expect(rerun.usage).toEqual(clean.usage);
    const again = await runOver(root, storeAt(state));
    expect(again.hoursComputed).toEqual([]);
    expect(again.usage).toEqual(clean.usage);
  });
});

/** Every file under `dir`: relative path to content. */
function filesOf(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const path of readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
    const full = join(dir, path);
    if (statSync(full).isFile()) files[path] = readFileSync(full, 'utf8');
  }
  return files;
}

const rollupPath = (dir: string, hour: HourId) => join(dir, 'rollups', hour.slice(0, 10), `${hour.slice(11, 13)}.json`);
const readRollup = (dir: string, hour: HourId) => JSON.parse(readFileSync(rollupPath(dir, hour), 'utf8')) as HourRollup;
const inflate = (row: HourlyUsageRow): HourlyUsageRow => ({ ...row, requests: row.requests + 100, total: row.total + 100 });

function rewriteRollup(dir: string, hour: HourId, change: (rollup: HourRollup) => unknown): void {
  writeFileSync(rollupPath(dir, hour), JSON.stringify(change(readRollup(dir, hour))));
}

/**
 * Rewrites a state the way the previous release stored it (manifest version 1, rollups naming no
 * source or SQL), with every row inflated so reusing any of it would show. Returns the rollup count.
 */
function downgradeToVersion1(dir: string): number {
  const manifestPath = join(dir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as RollupManifest;
  writeFileSync(manifestPath, JSON.stringify({ version: 1, updatedAt: manifest.updatedAt, hours: manifest.hours }));
  const hours = Object.keys(filesOf(dir)).flatMap((path) => {
    const match = /^rollups\/(\d{4}-\d{2}-\d{2})\/(\d{2})\.json$/.exec(path);
    return match ? [`${match[1]}T${match[2]}`] : [];
  });
  for (const hour of hours) rewriteRollup(dir, hour, (r) => ({ hour: r.hour, computedAt: r.computedAt, engine: r.engine, rows: r.rows.map(inflate) }));
  return hours.length;
}

/** A store that dies after `puts` successful rollup writes, or on the manifest write. */
class CrashingStore implements RollupStore {
  private done = 0;
  constructor(
    private readonly inner: RollupStore,
    private readonly puts: number,
  ) {}
  get source() {
    return this.inner.source;
  }
  get location() {
    return this.inner.location;
  }
  get otherSourceAdvice() {
    return this.inner.otherSourceAdvice;
  }
  getHour(hour: string): Promise<StoredRollup | null> {
    return this.inner.getHour(hour);
  }
  async putHour(rollup: HourRollup): Promise<void> {
    if (this.done >= this.puts) throw new Error('simulated crash');
    this.done += 1;
    await this.inner.putHour(rollup);
  }
  readManifest(): Promise<StoredManifest | null> {
    return this.inner.readManifest();
  }
  async writeManifest(): Promise<void> {
    throw new Error('simulated crash');
  }
}
