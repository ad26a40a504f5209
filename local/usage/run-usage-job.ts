/**
 * The usage job as the local platform runs it: the job's incremental run (hourly rollups and a
 * manifest under <state>/usage-state, recomputing only hours whose log files changed) on the
 * DuckDB engine (the same SQL as Athena) over the local log root, summed per key with the job's
 * month-to-date code and the keys in <state>/keys.json. The usage state belongs to the log root:
 * pointed at a usage-state folder of other logs, a run refuses rather than mix their figures.
 */
import { join } from 'node:path';
import { keysFromFileContent } from '../../usage-job/configured-keys';
import { DuckDbUsageEngine } from '../../usage-job/duckdb-engine';
import { runIncremental } from '../../usage-job/incremental-run';
import { LocalLogLister } from '../../usage-job/local-log-lister';
import { LocalRollupStore } from '../../usage-job/local-rollup-store';
import { monthUsage } from '../../usage-job/month-usage';
import { localStateSource } from '../../usage-job/state-source';
import type { LocalApiKey } from '../keys/key-store';
import type { RunUsageJob } from './usage-refresher';

export const USAGE_STATE_DIR = 'usage-state';

export function duckDbUsageJob(
  stateDir: string,
  logRoot: string,
  keys: readonly LocalApiKey[],
  lateWindowHours: number,
  now: () => Date = () => new Date(),
): { run: RunUsageJob; close: () => Promise<void> } {
  const engine = new DuckDbUsageEngine(logRoot);
  const lister = new LocalLogLister(logRoot);
  const store = new LocalRollupStore(join(stateDir, USAGE_STATE_DIR), localStateSource(logRoot));
  const configured = keysFromFileContent(keys, 'local keys');
  return {
    run: async (month) => {
      const { rows } = await runIncremental({ month, now: now(), lateWindowHours, engine, lister, store });
      return { usage: monthUsage(month, rows, configured), rows };
    },
    close: () => engine.close(),
  };
}
