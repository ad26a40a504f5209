/**
 * The usage computation the local platform runs: the DuckDB engine of the usage job (the same
 * SQL as Athena) over every hour of the month so far, summed per key with the job's month-to-date
 * code and the keys in <state>/keys.json.
 */
import { DuckDbUsageEngine } from '../../lambdas/usage-job/duckdb-engine';
import { hourIdOf, hourRange, monthBounds } from '../../lambdas/usage-job/hours';
import { keysFromFileContent } from '../../lambdas/usage-job/configured-keys';
import { monthUsage } from '../../lambdas/usage-job/month-usage';
import type { LocalApiKey } from '../keys/key-store';
import type { RunUsageJob } from './usage-refresher';

export function duckDbUsageJob(logRoot: string, keys: readonly LocalApiKey[], now: () => Date = () => new Date()): {
  run: RunUsageJob;
  close: () => Promise<void>;
} {
  const engine = new DuckDbUsageEngine(logRoot);
  const configured = keysFromFileContent(keys, 'local keys');
  return {
    run: async (month) => {
      const { first } = monthBounds(month);
      const hours = hourRange(first, hourIdOf(now()));
      const { rows } = await engine.queryHours(hours);
      return { usage: monthUsage(month, rows, configured), rows };
    },
    close: () => engine.close(),
  };
}
