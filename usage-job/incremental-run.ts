/**
 * One run of the usage job for a month: bring the month's hourly rollups up to date, reading only
 * what changed, then return the month's rows (summed by month-usage.ts).
 *
 * Which partition hours: the month's hours plus one hour either side, up to the current hour.
 * Partitions follow request time and rows carry the month of their `date`, so a record logged in
 * a neighbouring month's partition (a request finishing just after midnight) counts in the month
 * of its `date` and in no other.
 *
 * Whose state: the store belongs to one source of logs (state-source.ts). A manifest naming other
 * logs stops the run before it reads logs or writes anything. A stored rollup is reused only if
 * it names this run's source and usage-SQL digest and the manifest is of the current version.
 *
 * Which hours are recomputed, so the bytes a run scans track new data:
 *   - hours never computed (no rollup stored), whatever their age;
 *   - hours whose rollup was computed from other logs, by another SQL or in an older format,
 *     unless the month is final (past its end plus the late window): a final month's figures are
 *     what was invoiced, and its logs may have expired, so its hours are kept as they were and the
 *     run counts them in `hoursKeptFromOtherSql` (delete their rollups to recompute them);
 *   - hours inside the late window (default 48 h; CloudFront delivers some records up to 24 h late
 *     into the partition of the hour they occurred in) whose object listing (keys and versions)
 *     differs from the one in the manifest.
 * Everything else is read from the stored rollups.
 *
 * Crash safety: rollups are written (each atomically) before the manifest. A crash before the
 * manifest is written leaves the old listing in it, so the next run recomputes those hours and
 * writes the same rollups; nothing is summed twice because a rollup replaces, never adds.
 */
import { addHours, floorToHour, hourIdOf, hourRange, monthBounds } from '../sql/hours';
import {
  MANIFEST_VERSION,
  ROLLUP_FORMAT,
  type HourRollup,
  type LogLister,
  type LogObjectVersion,
  type RollupManifest,
  type RollupFigures,
  type RollupStore,
  type RunAttribution,
  type StoredManifest,
  type StoredRollup,
} from './rollup-store';
import { OtherSourceError, stateIdentity, type StateIdentity } from './state-source';
import type { HourId, HourlyUsageRow, UsageEngine } from './types';
import { mapLimit } from './concurrency';
import { monthStatus } from './month-status';

/** Rollup reads and writes in flight at once (S3 GET/PUT per hour). */
const STORE_CONCURRENCY = 16;

export interface IncrementalRunOptions {
  readonly month: string;
  readonly now: Date;
  readonly lateWindowHours: number;
  readonly engine: UsageEngine;
  readonly lister: LogLister;
  /** Holds the state of one source of logs: the logs `lister` and `engine` read. */
  readonly store: RollupStore;
  /** The registry revision (and deployment file) the run's caller attributes the rows with; recorded in the manifest. */
  readonly attribution?: RunAttribution;
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
  /** Hours of a final month computed by another SQL version or state format, kept as invoiced. */
  readonly hoursKeptFromOtherSql: number;
}

/** Manifest entries older than this (before the current hour) are dropped. */
const MANIFEST_RETENTION_HOURS = 24 * 62;

type Listings = Readonly<Record<HourId, readonly LogObjectVersion[]>>;
type Staleness = 'sql' | 'source';

interface RunPlan {
  readonly toCompute: HourId[];
  readonly reused: Map<HourId, RollupFigures>;
  readonly stale: Record<Staleness, number>;
  /** Stale by SQL but kept: the month is final. */
  keptFromOtherSql: number;
}

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

function refuseOtherSource(manifest: StoredManifest | null, identity: StateIdentity, store: RollupStore): void {
  if (manifest?.version === MANIFEST_VERSION && manifest.source !== identity.source) {
    throw new OtherSourceError(store.location, manifest.source, identity.source, store.otherSourceAdvice);
  }
}

/** A state is attributed with one registry: a run that reads another one (another environment's customers) is refused. */
function refuseOtherRegistry(manifest: StoredManifest | null, attribution: RunAttribution | undefined, store: RollupStore): void {
  const stored = manifest?.version === MANIFEST_VERSION ? manifest.attribution?.registry.location : undefined;
  const current = attribution?.registry.location;
  if (stored !== undefined && current !== undefined && stored !== current) {
    throw new OtherRegistryError(
      `the usage state in ${store.location} was attributed with the key registry ${stored}, but this run reads ${current}; ${store.otherSourceAdvice}`,
    );
  }
}

/** A run was pointed at a state attributed with another key registry; nothing was read or written. */
export class OtherRegistryError extends Error {
  override readonly name = 'OtherRegistryError';
}

/**
 * The manifest's listings that describe rollups of this run's SQL; none for a version-1 manifest
 * or one written by another SQL (their hours in the late window are then recomputed).
 */
function currentListings(manifest: StoredManifest | null, identity: StateIdentity): Listings | undefined {
  return manifest?.version === MANIFEST_VERSION && manifest.sqlDigest === identity.sqlDigest ? manifest.hours : undefined;
}

/** The stored rollup if this run may reuse it, else why not. Nothing of a version-1 state is reused. */
function reusable(rollup: StoredRollup, identity: StateIdentity, legacyState: boolean): HourRollup | Staleness {
  if (rollup.format !== ROLLUP_FORMAT || legacyState) return 'sql';
  if (rollup.source !== identity.source) return 'source';
  if (rollup.sqlDigest !== identity.sqlDigest) return 'sql';
  return rollup;
}

function planRun(
  hours: readonly HourId[],
  rollups: readonly (StoredRollup | null)[],
  listing: ReadonlyMap<HourId, readonly LogObjectVersion[]>,
  manifest: StoredManifest | null,
  identity: StateIdentity,
  windowStart: HourId,
  monthFinal: boolean,
): RunPlan {
  const listings = currentListings(manifest, identity);
  const plan: RunPlan = { toCompute: [], reused: new Map(), stale: { sql: 0, source: 0 }, keptFromOtherSql: 0 };
  for (const [index, hour] of hours.entries()) {
    const stored = rollups[index];
    const rollup = stored === null ? null : reusable(stored, identity, manifest?.version === 1);
    if (rollup === 'sql' && stored !== null && monthFinal) {
      plan.keptFromOtherSql += 1;
      plan.reused.set(hour, stored);
      continue;
    }
    if (typeof rollup === 'string') plan.stale[rollup] += 1;
    if (rollup === null || typeof rollup === 'string' || (hour >= windowStart && !sameListing(listings?.[hour], listing.get(hour) ?? []))) {
      plan.toCompute.push(hour);
    } else {
      plan.reused.set(hour, rollup);
    }
  }
  return plan;
}

function reportStale(plan: RunPlan, month: string, progress: (message: string) => void): void {
  const { stale } = plan;
  const hoursWere = (n: number) => (n === 1 ? '1 stored hour was' : `${n} stored hours were`);
  if (plan.keptFromOtherSql > 0) {
    progress(
      `${hoursWere(plan.keptFromOtherSql)} computed by another SQL version; ${month} is final, so they are kept as invoiced ` +
        `(delete their rollups to recompute them from the logs)`,
    );
  }
  if (stale.sql > 0) progress(`${hoursWere(stale.sql)} computed by another SQL version; recomputing`);
  if (stale.source > 0) progress(`${hoursWere(stale.source)} computed from other logs; recomputing`);
}

/** Runs the engine over the hours that have objects; every asked hour gets a (maybe empty) row list. */
async function computeHours(
  engine: UsageEngine,
  hours: readonly HourId[],
  listing: ReadonlyMap<HourId, readonly LogObjectVersion[]>,
  progress: (message: string) => void,
): Promise<{ rows: Map<HourId, HourlyUsageRow[]>; withObjects: ReadonlySet<HourId>; bytesScanned: number }> {
  const withObjects = hours.filter((h) => (listing.get(h) ?? []).length > 0);
  const rows = new Map<HourId, HourlyUsageRow[]>(hours.map((h) => [h, []]));
  if (withObjects.length === 0) return { rows, withObjects: new Set(), bytesScanned: 0 };
  progress(`querying ${withObjects.length} hours with logs on ${engine.name}`);
  const result = await engine.queryHours(withObjects);
  for (const row of result.rows) {
    const list = rows.get(row.hour);
    if (!list) throw new Error(`engine returned a row for hour ${row.hour}, which was not asked`);
    list.push(row);
  }
  return { rows, withObjects: new Set(withObjects), bytesScanned: result.bytesScanned };
}

function nextManifest(
  listings: Listings | undefined,
  identity: StateIdentity,
  computed: readonly HourId[],
  listing: ReadonlyMap<HourId, readonly LogObjectVersion[]>,
  oldest: HourId,
  updatedAt: string,
  attribution: RunAttribution | undefined,
): RollupManifest {
  const hours: Record<HourId, readonly LogObjectVersion[]> = {};
  for (const [hour, objects] of Object.entries(listings ?? {})) if (hour >= oldest) hours[hour] = objects;
  for (const hour of computed) hours[hour] = listing.get(hour) ?? [];
  return {
    version: MANIFEST_VERSION,
    source: identity.source,
    sqlDigest: identity.sqlDigest,
    updatedAt,
    hours,
    ...(attribution !== undefined ? { attribution } : {}),
  };
}

export async function runIncremental(options: IncrementalRunOptions): Promise<IncrementalRunResult> {
  const { month, now, lateWindowHours, engine, lister, store } = options;
  const progress = options.progress ?? (() => undefined);
  if (!Number.isInteger(lateWindowHours) || lateWindowHours < 0) throw new Error(`late window must be a whole number of hours >= 0, got ${lateWindowHours}`);
  const hours = hoursForMonth(month, now);
  if (hours.length === 0) throw new Error(`month ${month} has not started yet (now is ${now.toISOString()})`);
  const currentHour = hourIdOf(floorToHour(now));
  const windowStart = addHours(currentHour, -lateWindowHours);

  const identity = stateIdentity(store.source);
  const manifest = await store.readManifest();
  refuseOtherSource(manifest, identity, store);
  refuseOtherRegistry(manifest, options.attribution, store);
  progress(`usage state in ${store.location}, for the logs at ${identity.source}`);

  const listing = await lister.listHours(hours);
  // A month has ~720 hour rollups; in S3 each is one GET, so they are read concurrently.
  const rollups = await mapLimit(hours, STORE_CONCURRENCY, (hour) => store.getHour(hour));
  const plan = planRun(hours, rollups, listing, manifest, identity, windowStart, monthStatus(month, now, lateWindowHours) === 'final');
  reportStale(plan, month, progress);
  progress(`${month}: ${hours.length} partition hours, ${plan.toCompute.length} to compute (late window ${lateWindowHours} h from ${windowStart})`);

  const computed = await computeHours(engine, plan.toCompute, listing, progress);
  const computedAt = now.toISOString();
  const stored = new Map<HourId, RollupFigures>(plan.reused);
  await mapLimit(plan.toCompute, STORE_CONCURRENCY, async (hour) => {
    const rollup: HourRollup = {
      format: ROLLUP_FORMAT,
      hour,
      source: identity.source,
      sqlDigest: identity.sqlDigest,
      computedAt,
      engine: computed.withObjects.has(hour) ? engine.name : 'none',
      rows: computed.rows.get(hour) ?? [],
    };
    await store.putHour(rollup);
    stored.set(hour, rollup);
  });

  // The manifest goes last: it only ever describes rollups that are already stored.
  const oldest = addHours(currentHour, -MANIFEST_RETENTION_HOURS);
  await store.writeManifest(nextManifest(currentListings(manifest, identity), identity, plan.toCompute, listing, oldest, computedAt, options.attribution));

  const rows = hours.flatMap((h) => (stored.get(h)?.rows ?? []).filter((r) => r.month === month));
  return {
    rows,
    hoursConsidered: hours.length,
    hoursComputed: plan.toCompute,
    bytesScanned: computed.bytesScanned,
    hoursKeptFromOtherSql: plan.keptFromOtherSql,
  };
}
