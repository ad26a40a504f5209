/**
 * The usage workflow's dry-run input says "write nothing"; an Athena run with --dry-run used to
 * write its recomputed rollups and manifest to the usage bucket. A dry run against AWS now reads the
 * stored state and writes nothing (the local DuckDB state folder keeps its behaviour).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiKeyFingerprint } from '../contracts/api-key';
import { logRecord } from '../sql/testing/log-fixtures';
import { writeLogFile } from '../sql/log-writer';
import { DuckDbUsageEngine } from './local/duckdb-engine';
import { runIncremental } from './incremental-run';
import { LocalLogLister } from './local/log-lister';
import { LocalRollupStore } from './local/rollup-store';
import { ReadOnlyRollupStore, storeForRun } from './read-only-store';
import { localStateSource } from './state-source';

const FP = apiKeyFingerprint('key-A-aaaaaaaaaaaaaaaaaaaa');
let logs: string;
let state: string;
let engine: DuckDbUsageEngine;

beforeEach(() => {
  logs = mkdtempSync(join(tmpdir(), 'usage-ro-logs-'));
  state = mkdtempSync(join(tmpdir(), 'usage-ro-state-'));
  engine = new DuckDbUsageEngine(logs);
});
afterEach(async () => {
  await engine.close();
  rmSync(logs, { recursive: true, force: true });
  rmSync(state, { recursive: true, force: true });
});

function filesOf(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const path of readdirSync(root, { recursive: true, encoding: 'utf8' }).sort()) {
    if (statSync(join(root, path)).isFile()) files[path] = readFileSync(join(root, path), 'utf8');
  }
  return files;
}

const hourOf = (at: string) => new Date(`${at.slice(0, 13)}:00:00Z`);
const write = (at: string) => writeLogFile(logs, '000000000000', 'E3RO', hourOf(at), [logRecord({ at, logData: FP })]);
const run = (store: LocalRollupStore | ReadOnlyRollupStore, now: string) =>
  runIncremental({ month: '2026-11', now: new Date(now), lateWindowHours: 48, engine, lister: new LocalLogLister(logs), store });

test('a dry run against AWS computes the new hours and writes no rollup and no manifest', async () => {
  const store = new LocalRollupStore(state, localStateSource(logs));
  await write('2026-11-02T10:05:00Z');
  await run(store, '2026-11-02T12:10:00Z');
  const before = filesOf(state);
  expect(Object.keys(before).length).toBeGreaterThan(0);

  await write('2026-11-02T13:05:00Z');
  const dry = storeForRun(store, { dryRun: true, engine: 'athena' });
  expect(dry).toBeInstanceOf(ReadOnlyRollupStore);
  const result = await run(dry as ReadOnlyRollupStore, '2026-11-02T14:10:00Z');
  expect(result.rows.reduce((sum, r) => sum + r.requests, 0)).toBe(2);
  expect((dry as ReadOnlyRollupStore).writesKept).toBeGreaterThan(0);
  expect(filesOf(state)).toEqual(before);
});

test('real runs, and DuckDB dry runs with their local state folder, write as before', () => {
  const store = new LocalRollupStore(state, localStateSource(logs));
  expect(storeForRun(store, { dryRun: false, engine: 'athena' })).toBe(store);
  expect(storeForRun(store, { dryRun: true, engine: 'duckdb' })).toBe(store);
});
