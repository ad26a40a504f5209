/** The incremental, rerun-safe computation over stored hourly rollups (DuckDB engine, local store). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiKeyFingerprint } from '../shared/api-key';
import type { ConfiguredKey } from './configured-keys';
import { DuckDbUsageEngine } from './duckdb-engine';
import { hoursForMonth, runIncremental } from './incremental-run';
import { LocalLogLister } from './local-log-lister';
import { LocalRollupStore } from './local-rollup-store';
import { monthUsage } from './month-usage';
import type { HourRollup, RollupManifest, RollupStore } from './rollup-store';
import { logRecord } from './testing/log-fixtures';
import { writeLogFile, type LogRecord } from './testing/log-writer';
import type { MonthUsage } from './usage-publisher';

const ACCOUNT = '000000000000';
const DIST = 'E3TESTDIST';
const KEY_A: ConfiguredKey = { id: 'a', name: 'A', fingerprint: apiKeyFingerprint('key-A-aaaaaaaaaaaaaaaaaaaa'), quota: 100 };
const KEY_B: ConfiguredKey = { id: 'b', name: 'B', fingerprint: apiKeyFingerprint('key-B-bbbbbbbbbbbbbbbbbbbb'), quota: 100 };
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

function keyed(key: ConfiguredKey, at: string, extra: { status?: number; bytesOut?: number } = {}): LogRecord {
  return logRecord({ at, query: `apikey_fp=${key.fingerprint}`, ...extra });
}

async function run(month: string, now: string, store: RollupStore = new LocalRollupStore(state), lateWindowHours = 48) {
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
    const clean = await run('2026-11', '2026-11-03T03:10:00Z', new LocalRollupStore(join(state, 'clean')));
    // A late file arrives; then the run crashes after k rollup writes (k = 0, 1, 2, ...) or before the manifest.
    await write('2026-11-03T01', [keyed(KEY_A, '2026-11-03T01:50:00Z')]);
    const expected = await run('2026-11', '2026-11-03T04:10:00Z', new LocalRollupStore(join(state, 'reference')));
    expect(requestsOf(expected.usage, 'a')).toBe(requestsOf(clean.usage, 'a') + 1);
    for (let crashAfter = 0; crashAfter <= expected.hoursComputed.length; crashAfter += 1) {
      const dir = join(state, `crash-${crashAfter}`);
      await run('2026-11', '2026-11-03T03:10:00Z', new LocalRollupStore(dir));
      await expect(run('2026-11', '2026-11-03T04:10:00Z', new CrashingStore(new LocalRollupStore(dir), crashAfter))).rejects.toThrow('simulated crash');
      const rerun = await run('2026-11', '2026-11-03T04:10:00Z', new LocalRollupStore(dir));
      expect(rerun.usage).toEqual(expected.usage);
      const again = await run('2026-11', '2026-11-03T04:20:00Z', new LocalRollupStore(dir));
      expect(again.usage).toEqual(expected.usage);
      expect(again.hoursComputed).toEqual([]);
    }
  });
});

/** A store that dies after `puts` successful rollup writes, or on the manifest write. */
class CrashingStore implements RollupStore {
  private done = 0;
  constructor(private readonly inner: RollupStore, private readonly puts: number) {}
  getHour(hour: string): Promise<HourRollup | null> {
    return this.inner.getHour(hour);
  }
  async putHour(rollup: HourRollup): Promise<void> {
    if (this.done >= this.puts) throw new Error('simulated crash');
    this.done += 1;
    await this.inner.putHour(rollup);
  }
  readManifest(): Promise<RollupManifest> {
    return this.inner.readManifest();
  }
  async writeManifest(): Promise<void> {
    throw new Error('simulated crash');
  }
}
