/**
 * The usage job as the local platform runs it: the job's incremental run (hourly rollups and a
 * manifest under <state>/usage-state, recomputing only hours whose log files changed) on the
 * DuckDB engine (the same SQL as Athena) over the local log root, summed per customer with the
 * job's month-to-date code and the customers of the local key registry (<state>/registry.json),
 * read again on every run: a customer `keys create` made is billed from the next run on. The
 * usage state belongs to the log root: pointed at a usage-state folder of other logs, a run
 * refuses rather than mix their figures.
 */
import { join } from 'node:path';
import type { EnvironmentConfig } from '../../config/types';
import { DuckDbUsageEngine } from '../../usage-job/local/duckdb-engine';
import { runIncremental } from '../../usage-job/incremental-run';
import { LocalLogLister } from '../../usage-job/local/log-lister';
import { LocalRollupStore } from '../../usage-job/local/rollup-store';
import { monthUsage } from '../../usage-job/month-usage';
import { readRegistryFile } from '../../usage-job/local/registry-file';
import { localStateSource } from '../../usage-job/state-source';
import { REGISTRY_FILE } from '../api-gateway/registered-keys';
import type { RunUsageJob } from './usage-refresher';

export const USAGE_STATE_DIR = 'usage-state';

export function duckDbUsageJob(
  stateDir: string,
  logRoot: string,
  environment: Pick<EnvironmentConfig, 'name' | 'usagePlans'>,
  lateWindowHours: number,
  now: () => Date = () => new Date(),
): { run: RunUsageJob; close: () => Promise<void> } {
  const engine = new DuckDbUsageEngine(logRoot);
  const lister = new LocalLogLister(logRoot);
  const store = new LocalRollupStore(join(stateDir, USAGE_STATE_DIR), localStateSource(logRoot));
  const registryFile = join(stateDir, REGISTRY_FILE);
  return {
    run: async (month) => {
      const { customers, registry } = await readRegistryFile(registryFile, environment.name, environment.usagePlans);
      const { rows } = await runIncremental({ month, now: now(), lateWindowHours, engine, lister, store, attribution: { registry } });
      return { usage: monthUsage(month, rows, customers), rows, customers, registry };
    },
    close: () => engine.close(),
  };
}
