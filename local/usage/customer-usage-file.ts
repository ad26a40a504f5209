/**
 * The local platform's customer usage summary: after every run of the usage job, the summary the
 * job writes to the usage bucket in AWS (contracts/customer-usage.ts), written atomically to
 * <state>/customer-usage/<month>.json, where GET /usage's file source reads it
 * (lambdas/handlers/usage-source.ts, USAGE_STATE_DIR). Built from the same run as /_usage.json.
 * A run before the next month starts also writes that month's opening summary (usage-job/opening-summary.ts).
 */
import { join } from 'node:path';
import type { EnvironmentConfig } from '../../config/types';
import { customerUsageObjectKey } from '../../contracts/customer-usage';
import { writeFileAtomic } from '../../keys/atomic-file';
import { customerUsageSummary } from '../../usage-job/customer-usage-summary';
import { openingCustomerUsageSummary } from '../../usage-job/opening-summary';
import type { RunUsageJob } from './usage-refresher';

/** Wraps a run so each one also writes the summary, stamped with the time the run started (its logs were flushed just before). */
export function withCustomerUsageFile(
  run: RunUsageJob,
  stateDir: string,
  environment: Pick<EnvironmentConfig, 'name' | 'alarms' | 'prices' | 'usagePlans' | 'usageJob'>,
  now: () => Date = () => new Date(),
): RunUsageJob {
  return async (month) => {
    const asOf = now();
    const result = await run(month);
    const summary = customerUsageSummary({
      environment: environment.name,
      usage: result.usage,
      customers: result.customers,
      thresholds: environment.alarms.quotaPercentThresholds,
      prices: environment.prices,
      now: asOf,
      lateWindowHours: environment.usageJob.lateWindowHours,
    });
    writeFileAtomic(join(stateDir, customerUsageObjectKey(month)), JSON.stringify(summary, null, 2) + '\n');
    const opening = openingCustomerUsageSummary({
      environment: environment.name,
      month,
      customers: result.customers,
      thresholds: environment.alarms.quotaPercentThresholds,
      now: asOf,
    });
    // Only a run before M+1 starts writes it, so it never replaces M+1's own summary (written at a later time).
    if (opening !== undefined) writeFileAtomic(join(stateDir, customerUsageObjectKey(opening.month)), JSON.stringify(opening, null, 2) + '\n');
    return result;
  };
}
