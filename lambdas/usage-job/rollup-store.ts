/**
 * Where the usage job keeps its state: one rollup per partition hour (atomically written) and a
 * manifest of the log objects each hour was computed from. Implementations: local files
 * (./local-rollup-store.ts), S3 (./aws/, engineer D).
 *
 * Crash safety rests on two rules every implementation keeps: each put is atomic (a reader sees
 * the old object or the new one, never a torn one), and the job writes the manifest only after
 * the rollups it describes. A crash in between leaves a manifest that disagrees with the listing,
 * so the next run recomputes those hours and writes the same rollups again.
 */
import type { HourId, HourlyUsageRow } from './types';

/** One log object as the listing sees it; `version` changes whenever the content may have. */
export interface LogObjectVersion {
  /** Object key (S3) or path relative to the log root (local), '/'-separated. */
  readonly key: string;
  /** S3: the ETag. Local files: `<size>-<mtimeMs>`. */
  readonly version: string;
  readonly size: number;
}

/** The usage of one partition hour, as computed by an engine from the listed objects. */
export interface HourRollup {
  readonly hour: HourId;
  /** ISO time the rollup was computed. */
  readonly computedAt: string;
  /** Engine that computed it ('duckdb' | 'athena'; 'none' when the hour had no objects). */
  readonly engine: string;
  /** One row per (month of `date`, fingerprint); may be empty. */
  readonly rows: readonly HourlyUsageRow[];
}

/** Listing each computed hour was computed from. Stored beside the rollups. */
export interface RollupManifest {
  readonly version: 1;
  readonly updatedAt: string;
  readonly hours: Readonly<Record<HourId, readonly LogObjectVersion[]>>;
}

export interface RollupStore {
  /** The stored rollup of an hour, or null when the hour was never computed. */
  getHour(hour: HourId): Promise<HourRollup | null>;
  /** Stores (replaces) an hour's rollup atomically. */
  putHour(rollup: HourRollup): Promise<void>;
  /** The manifest, or an empty one (no hours) when none was written yet. */
  readManifest(): Promise<RollupManifest>;
  /** Replaces the manifest atomically. */
  writeManifest(manifest: RollupManifest): Promise<void>;
}

/** Lists the log objects of partition hours (S3 ListObjectsV2 per hour prefix; local: readdir). */
export interface LogLister {
  /** Objects under each asked hour's partition prefix; hours with none map to []. */
  listHours(hours: readonly HourId[]): Promise<ReadonlyMap<HourId, readonly LogObjectVersion[]>>;
}
