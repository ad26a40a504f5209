/**
 * Runs the usage job over the local log root every few seconds (after flushing the log buffer)
 * and keeps the latest result for /_usage and /_usage.json. Runs never overlap; a refresh asked
 * for while one runs waits for it and then runs again, so its result includes every response
 * sent before it was asked.
 */
import { fingerprintIndex, rowFigures, type BilledCustomer, type RegistryRevision } from '../../usage-job/customers';
import type { HourlyUsageRow } from '../../usage-job/types';
import type { PerKeyMetricsConfig } from '../../config/types';
import type { MonthUsage } from '../../usage-job/month-figures';
import type { UsagePublisher } from '../../usage-job/usage-publisher';
import type { HourBar, UsageSnapshot } from './usage-page';

export interface UsageRun {
  readonly usage: MonthUsage;
  /** The month's hourly rows (any fingerprint), for the chart. */
  readonly rows: readonly HourlyUsageRow[];
  /** The customers the run attributed with, and the registry revision they come from. */
  readonly customers: readonly BilledCustomer[];
  readonly registry: RegistryRevision;
}

/** Computes month-to-date usage of `month` from the log root (the real job on DuckDB). */
export type RunUsageJob = (month: string) => Promise<UsageRun>;

export interface UsageRefresherOptions {
  readonly run: RunUsageJob;
  readonly flushLogs: () => Promise<void>;
  readonly logRecords: () => number;
  readonly logRoot: string;
  readonly publisher?: UsagePublisher;
  /** The environment's quota thresholds: shown on /_usage and published per threshold. */
  readonly quotaThresholds: readonly number[];
  /** Which keys get the per-key metric when publishing (default: all). */
  readonly perKeyMetrics?: PerKeyMetricsConfig;
  readonly now?: () => Date;
  readonly onError?: (message: string) => void;
}

export class UsageRefresher {
  latest: UsageSnapshot | undefined;
  lastError: string | undefined;
  publishError: string | undefined;
  private lastPublished: string | undefined;
  private chain: Promise<UsageSnapshot | undefined> = Promise.resolve(undefined);
  private timer: NodeJS.Timeout | undefined;
  /** Runs asked for and not finished yet. */
  private pending = 0;
  constructor(private readonly options: UsageRefresherOptions) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      // A run slower than the interval must not queue runs behind it.
      if (this.pending > 0) return;
      this.refresh().catch(() => undefined);
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Flushes the logs, runs the job, publishes if configured and changed; resolves with the new snapshot. */
  refresh(): Promise<UsageSnapshot> {
    this.pending += 1;
    const next = this.chain
      .catch(() => undefined)
      .then(() => this.runOnce())
      .finally(() => {
        this.pending -= 1;
      });
    this.chain = next;
    return next;
  }

  /** Waits for the run in progress, if any. */
  async idle(): Promise<void> {
    await this.chain.catch(() => undefined);
  }

  private async runOnce(): Promise<UsageSnapshot> {
    const now = (this.options.now ?? (() => new Date()))();
    try {
      await this.options.flushLogs();
      const logRecords = this.options.logRecords();
      const month = now.toISOString().slice(0, 7);
      const { usage, rows, customers, registry } = await this.options.run(month);
      const snapshot: UsageSnapshot = {
        usage,
        registry,
        hours: hourBars(rows, month, customers),
        computedAt: new Date().toISOString(),
        logRecords,
        logRoot: this.options.logRoot,
        quotaThresholds: this.options.quotaThresholds,
        plans: Object.fromEntries(customers.map((c) => [c.id, c.plan])),
      };
      this.latest = snapshot;
      this.lastError = undefined;
      await this.publish(usage, now);
      return snapshot;
    } catch (error) {
      this.lastError = (error as Error).message;
      this.options.onError?.(`usage job failed: ${this.lastError}`);
      throw error;
    }
  }

  /** Publishes when the figures changed since the last publish; a failure is reported, not thrown. */
  private async publish(usage: MonthUsage, now: Date): Promise<void> {
    const { publisher } = this.options;
    const figures = JSON.stringify(usage);
    if (publisher === undefined || figures === this.lastPublished) return;
    try {
      const hour = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000);
      await publisher.publish({
        usage,
        timestamp: hour,
        thresholds: this.options.quotaThresholds,
        perKeyMetrics: this.options.perKeyMetrics ?? { mode: 'all' },
      });
      this.lastPublished = figures;
      this.publishError = undefined;
    } catch (error) {
      this.publishError = (error as Error).message;
      this.options.onError?.(`publishing metrics failed: ${this.publishError}`);
    }
  }
}

/** Billable requests per customer and hour, for the chart. */
function hourBars(rows: readonly HourlyUsageRow[], month: string, customers: readonly BilledCustomer[]): HourBar[] {
  const index = fingerprintIndex(customers);
  const byHour = new Map<string, Record<string, number>>();
  for (const row of rows) {
    const owner = row.apikeyFp === null ? undefined : index.get(row.apikeyFp);
    if (row.month !== month || owner === undefined) continue;
    const requests = rowFigures(row, owner.key).requests;
    if (requests === 0) continue;
    const bar = byHour.get(row.hour) ?? {};
    bar[owner.customer.id] = (bar[owner.customer.id] ?? 0) + requests;
    byHour.set(row.hour, bar);
  }
  return [...byHour.keys()].sort().map((hour) => ({ hour, requestsByKey: byHour.get(hour) ?? {} }));
}
