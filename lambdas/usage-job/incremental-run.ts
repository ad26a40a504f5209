/**
 * One run of the usage job for a month: bring the month's hourly rollups up to date, reading only
 * what changed, then return the month's rows (summed by month-usage.ts).
 *
 * Which partition hours: the month's hours plus one hour either side, up to the current hour.
 * Partitions follow request time and rows carry the month of their `date`, so a record logged in
 * a neighbouring month's partition (a request finishing just after midnight) counts in the month
 * of its `date` and in no other.
 *
 * Which hours are recomputed (the DESIGN's performance note):
 *   - hours never computed (no rollup stored), whatever their age;
 *   - hours inside the late window (default 48 h; CloudFront delivers some records up to 24 h late
 *     into the partition of the hour they occurred in) whose object listing (keys and versions)
 *     differs from the one in the manifest.
 * Everything else is read from the stored rollups, so the bytes a run scans track new data.
 *
 * Crash safety: rollups are written (each atomically) before the manifest. A crash before the
 * manifest is written leaves the old listing in it, so the next run recomputes those hours and
 * writes the same rollups; nothing is summed twice because a rollup replaces, never adds.
 */
import { addHours, floorToHour, hourIdOf, hourRange, monthBounds } from './hours';
import type { HourRollup, LogLister, LogObjectVersion, RollupManifest, RollupStore } from './rollup-store';
import type { HourId, HourlyUsageRow, UsageEngine } from './types';
import { mapLimit } from './concurrency';

/** Rollup reads and writes in flight at once (S3 GET/PUT per hour). */
const STORE_CONCURRENCY = 16;

export interface IncrementalRunOptions {
  readonly month: string;
  readonly now: Date;
  readonly lateWindowHours: number;
  readonly engine: UsageEngine;
  readonly lister: LogLister;
  readonly store: RollupStore;
  readonly progress?: (message: string) => void;
}

export interface IncrementalRunResult {
  /** Rows of every considered hour whose `month` is the asked month. */
  readonly rows: HourlyUsageRow[];
  readonly hoursConsidered: number;
  /** Hours whose rollup this run (re)computed. */
  readonly hoursComputed: HourId[];
  /** Bytes the engine read in this run. */
  readonly bytesScanned: number;
}

/** Manifest entries older than this (before the current hour) are dropped. */
const MANIFEST_RETENTION_HOURS = 24 * 62;

function sameListing(a: readonly LogObjectVersion[] | undefined, b: readonly LogObjectVersion[]): boolean {
  if (a === undefined || a.length !== b.length) return false;
  const key = (o: LogObjectVersion) => `${o.key}\u0000${o.version}`;
  const left = a.map(key).sort();
  const right = b.map(key).sort();
  return left.every((v, i) => v === right[i]);
}

/** The partition hours a month's figures are summed from, capped at the current hour. */
export function hoursForMonth(month: string, now: Date): HourId[] {
  const { first, next } = monthBounds(month);
  const current = hourIdOf(floorToHour(now));
  const last = next < current ? next : current;
  return hourRange(addHours(first, -1), last);
}

export async function runIncremental(options: IncrementalRunOptions): Promise<IncrementalRunResult> {
  const { month, now, lateWindowHours, engine, lister, store } = options;
  const progress = options.progress ?? (() => undefined);
  if (!Number.isInteger(lateWindowHours) || lateWindowHours < 0) throw new Error(`late window must be a whole number of hours >= 0, got ${lateWindowHours}`);
  const hours = hoursForMonth(month, now);
  if (hours.length === 0) throw new Error(`month ${month} has not started yet (now is ${now.toISOString()})`);
  const currentHour = hourIdOf(floorToHour(now));
  const windowStart = addHours(currentHour, -lateWindowHours);

  const listing = await lister.listHours(hours);
  const manifest = await store.readManifest();
  const stored = new Map<HourId, HourRollup | null>();
  const toCompute: HourId[] = [];
  // A month has ~720 hour rollups; in S3 each is one GET, so they are read concurrently.
  const rollups = await mapLimit(hours, STORE_CONCURRENCY, (hour) => store.getHour(hour));
  for (const [index, hour] of hours.entries()) {
    const rollup = rollups[index];
    stored.set(hour, rollup);
    const objects = listing.get(hour) ?? [];
    if (rollup === null || (hour >= windowStart && !sameListing(manifest.hours[hour], objects))) toCompute.push(hour);
  }
  progress(`${month}: ${hours.length} partition hours, ${toCompute.length} to compute (late window ${lateWindowHours} h from ${windowStart})`);

  const withObjects = toCompute.filter((h) => (listing.get(h) ?? []).length > 0);
  let bytesScanned = 0;
  const computedRows = new Map<HourId, HourlyUsageRow[]>(toCompute.map((h) => [h, []]));
  if (withObjects.length > 0) {
    progress(`querying ${withObjects.length} hours with logs on ${engine.name}`);
    const result = await engine.queryHours(withObjects);
    bytesScanned = result.bytesScanned;
    for (const row of result.rows) {
      const list = computedRows.get(row.hour);
      if (!list) throw new Error(`engine returned a row for hour ${row.hour}, which was not asked`);
      list.push(row);
    }
  }
  const computedAt = now.toISOString();
  await mapLimit(toCompute, STORE_CONCURRENCY, async (hour) => {
    const rollup: HourRollup = {
      hour,
      computedAt,
      engine: withObjects.includes(hour) ? engine.name : 'none',
      rows: computedRows.get(hour) ?? [],
    };
    await store.putHour(rollup);
    stored.set(hour, rollup);
  });

  // The manifest goes last: it only ever describes rollups that are already stored.
  const oldest = addHours(currentHour, -MANIFEST_RETENTION_HOURS);
  const manifestHours: Record<HourId, readonly LogObjectVersion[]> = {};
  for (const [hour, objects] of Object.entries(manifest.hours)) if (hour >= oldest) manifestHours[hour] = objects;
  for (const hour of toCompute) manifestHours[hour] = listing.get(hour) ?? [];
  const next: RollupManifest = { version: 1, updatedAt: computedAt, hours: manifestHours };
  await store.writeManifest(next);

  const rows = hours.flatMap((h) => (stored.get(h)?.rows ?? []).filter((r) => r.month === month));
  return { rows, hoursConsidered: hours.length, hoursComputed: toCompute, bytesScanned };
}
