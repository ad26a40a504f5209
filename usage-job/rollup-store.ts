/**
 * Where the usage job keeps its state: one rollup per partition hour (atomically written) and a
 * manifest of the log objects each hour was computed from. Implementations: local files
 * (./local/rollup-store.ts), S3 (./aws/s3-rollup-store.ts).
 *
 * A store belongs to one source of logs (./state-source.ts): the manifest and every rollup name
 * the source and the digest of the usage SQL that computed them, so a run never reuses figures
 * of other logs or of another SQL.
 *
 * Crash safety rests on two rules every implementation keeps: each put is atomic (a reader sees
 * the old object or the new one, never a torn one), and the job writes the manifest only after
 * the rollups it describes. A crash in between leaves a manifest that disagrees with the listing,
 * so the next run recomputes those hours and writes the same rollups again.
 */
import type { RegistryRevision } from './customers';
import type { UsageStateSource } from './state-source';
import type { HourId, HourlyUsageRow } from './types';
import { isRecord } from '../contracts/json';

/** Version of the rollup objects this code writes; rollups of any other format are recomputed. */
export const ROLLUP_FORMAT = 2;
/** Version of the manifest this code writes. */
export const MANIFEST_VERSION = 2;

/** One log object as the listing sees it; `version` changes whenever the content may have. */
export interface LogObjectVersion {
  /** Object key (S3) or path relative to the log root (local), '/'-separated. */
  readonly key: string;
  /** S3: the ETag. Local files: `<size>-<mtimeMs>`. */
  readonly version: string;
  readonly size: number;
}

export interface RollupFigures {
  readonly hour: HourId;
  /** ISO time the rollup was computed. */
  readonly computedAt: string;
  /** Engine that computed it ('duckdb' | 'athena'; 'none' when the hour had no objects). */
  readonly engine: string;
  /** One row per (month of `date`, fingerprint); may be empty. */
  readonly rows: readonly HourlyUsageRow[];
}

/** The usage of one partition hour, as computed by an engine from the listed objects. */
export interface HourRollup extends RollupFigures {
  readonly format: typeof ROLLUP_FORMAT;
  /** sourceUri() of the logs it was computed from. */
  readonly source: string;
  /** sha256 (hex) of the usage SQL that computed it. */
  readonly sqlDigest: string;
}

/** A rollup written before rollups named their logs and SQL; read only to be replaced. */
export interface LegacyHourRollup extends RollupFigures {
  readonly format: 1;
}

export type StoredRollup = HourRollup | LegacyHourRollup;

type Listings = Readonly<Record<HourId, readonly LogObjectVersion[]>>;

/**
 * What the last run attributed the rollups' fingerprints with: the key registry's revision and the
 * deployment file it read. Rollups hold fingerprints only, so every run re-attributes the whole
 * month with the registry revision it read; this records which one, and a store is bound to one
 * registry (location): a run with another registry is refused.
 */
export interface RunAttribution {
  readonly registry: RegistryRevision;
  /** The usage-job deployment file the run read (AWS runs): where, and its ETag and VersionId. */
  readonly deployment?: { readonly location: string; readonly etag?: string; readonly versionId?: string };
}

/** Listing each computed hour was computed from, and what from. Stored beside the rollups. */
export interface RollupManifest {
  readonly version: typeof MANIFEST_VERSION;
  /** sourceUri() of the logs this state belongs to. */
  readonly source: string;
  /** sha256 (hex) of the usage SQL that computed the listed hours. */
  readonly sqlDigest: string;
  readonly updatedAt: string;
  readonly hours: Listings;
  /** The registry revision (and deployment file) of the run that wrote this manifest. */
  readonly attribution?: RunAttribution;
}

/** A manifest written before manifests named their logs; its hours are all recomputed. */
export interface LegacyRollupManifest {
  readonly version: 1;
  readonly updatedAt: string;
  readonly hours: Listings;
}

export type StoredManifest = RollupManifest | LegacyRollupManifest;

export interface RollupStore {
  /** The logs this store's state belongs to. */
  readonly source: UsageStateSource;
  /** Where the state lives (a folder, an s3:// URI), for messages. */
  readonly location: string;
  /** What to do when the stored state belongs to other logs (ends the refusal message). */
  readonly otherSourceAdvice: string;
  /** The stored rollup of an hour, or null when the hour was never computed. */
  getHour(hour: HourId): Promise<StoredRollup | null>;
  /** Stores (replaces) an hour's rollup atomically. */
  putHour(rollup: HourRollup): Promise<void>;
  /** The manifest, or null when none was written yet. */
  readManifest(): Promise<StoredManifest | null>;
  /** Replaces the manifest atomically. */
  writeManifest(manifest: RollupManifest): Promise<void>;
}

/** Lists the log objects of partition hours (S3 ListObjectsV2 per hour prefix; local: readdir). */
export interface LogLister {
  /** Objects under each asked hour's partition prefix; hours with none map to []. */
  listHours(hours: readonly HourId[]): Promise<ReadonlyMap<HourId, readonly LogObjectVersion[]>>;
}

const COUNT_FIELDS = ['requests', 'rejected', 'errors', 'total', 'bytesOut', 'bytesIn'] as const;

export function isUsageRow(value: unknown, hour: HourId): value is HourlyUsageRow {
  if (!isRecord(value)) return false;
  if (value.hour !== hour || typeof value.month !== 'string' || !/^\d{4}-\d{2}$/.test(value.month)) return false;
  if (value.apikeyFp !== null && typeof value.apikeyFp !== 'string') return false;
  return COUNT_FIELDS.every((f) => Number.isSafeInteger(value[f]) && (value[f] as number) >= 0);
}

function isListing(value: unknown): value is LogObjectVersion[] {
  return Array.isArray(value) && value.every((o) => isRecord(o) && typeof o.key === 'string' && typeof o.version === 'string' && Number.isSafeInteger(o.size));
}

const isDigest = (value: unknown): value is string => typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
const isSource = (value: unknown): value is string => typeof value === 'string' && /^(file|s3):\/\/./.test(value);

/** The stored rollup of `hour` in `value` (parsed JSON), or undefined when it is not one. */
export function asStoredRollup(value: unknown, hour: HourId): StoredRollup | undefined {
  if (!isRecord(value) || value.hour !== hour || typeof value.computedAt !== 'string' || typeof value.engine !== 'string') return undefined;
  if (!Array.isArray(value.rows) || !value.rows.every((r) => isUsageRow(r, hour))) return undefined;
  const figures: RollupFigures = { hour, computedAt: value.computedAt, engine: value.engine, rows: value.rows as HourlyUsageRow[] };
  if (value.format === undefined && value.source === undefined && value.sqlDigest === undefined) return { format: 1, ...figures };
  if (value.format !== ROLLUP_FORMAT || !isSource(value.source) || !isDigest(value.sqlDigest)) return undefined;
  return { format: ROLLUP_FORMAT, source: value.source, sqlDigest: value.sqlDigest, ...figures };
}

/** The manifest in `value` (parsed JSON), version 1 or 2, or undefined when it is not one. */
export function asStoredManifest(value: unknown): StoredManifest | undefined {
  if (!isRecord(value) || typeof value.updatedAt !== 'string' || !isRecord(value.hours) || !Object.values(value.hours).every(isListing)) return undefined;
  const hours = value.hours as Record<HourId, LogObjectVersion[]>;
  if (value.version === 1) return { version: 1, updatedAt: value.updatedAt, hours };
  if (value.version !== MANIFEST_VERSION || !isSource(value.source) || !isDigest(value.sqlDigest)) return undefined;
  const attribution = asAttribution(value.attribution);
  return {
    version: MANIFEST_VERSION,
    source: value.source,
    sqlDigest: value.sqlDigest,
    updatedAt: value.updatedAt,
    hours,
    ...(attribution !== undefined ? { attribution } : {}),
  };
}

function asAttribution(value: unknown): RunAttribution | undefined {
  if (!isRecord(value) || !isRecord(value.registry)) return undefined;
  const r = value.registry;
  if (typeof r.location !== 'string' || !Number.isSafeInteger(r.revision)) return undefined;
  return value as unknown as RunAttribution;
}
