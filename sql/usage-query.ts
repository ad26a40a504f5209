/**
 * The usage SQL (usage_hourly.sql) and its parameters. Both engines run the same text: the only
 * difference, the table `cloudfront_logs`, is resolved by each engine's setup (Athena: the Glue
 * table in the query's database; DuckDB: a view over the local Parquet root), not by rewriting SQL.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hourStart, type HourId } from './hours';
import { LOG_COLUMNS } from './log-columns';

/** Name the SQL reads from; engines make it resolve to the logs. */
export const USAGE_TABLE = 'cloudfront_logs';

export const USAGE_SQL_PATH = join(__dirname, 'usage_hourly.sql');

let cached: string | undefined;
export function usageHourlySql(): string {
  cached ??= readFileSync(USAGE_SQL_PATH, 'utf8');
  return cached;
}

/** The log columns the usage SQL reads (the rest of the Parquet is never touched). */
export const USAGE_COLUMNS: readonly string[] = LOG_COLUMNS.filter((c) => c.usage).map((c) => c.column);

/** A run of consecutive partition hours within one UTC day: one execution of the query. */
export interface HourBatch {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly firstHour: number;
  readonly lastHour: number;
  readonly hours: readonly HourId[];
}

/**
 * Groups hours into the fewest batches of consecutive hours of the same day, so the query reads
 * exactly the asked partitions and nothing between them.
 */
export function hourBatches(hours: readonly HourId[]): HourBatch[] {
  const sorted = [...new Set(hours)].sort();
  const batches: HourBatch[] = [];
  let current: { year: number; month: number; day: number; firstHour: number; lastHour: number; hours: HourId[] } | undefined;
  for (const hour of sorted) {
    const d = hourStart(hour);
    const [year, month, day, h] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours()];
    if (current && current.year === year && current.month === month && current.day === day && current.lastHour === h - 1) {
      current.lastHour = h;
      current.hours.push(hour);
    } else {
      current = { year, month, day, firstHour: h, lastHour: h, hours: [hour] };
      batches.push(current);
    }
  }
  return batches;
}

/** The five positional parameters of usage_hourly.sql, in order. */
export function batchParameters(batch: HourBatch): [number, number, number, number, number] {
  return [batch.year, batch.month, batch.day, batch.firstHour, batch.lastHour];
}
