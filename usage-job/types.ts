/**
 * Types shared by the usage job's parts: engines (DuckDB, Athena), rollup stores (files, S3),
 * publishers (CloudWatch) and the CLI. One row per (hour, fingerprint).
 */

import type { HourId } from '../sql/hours';

export type { HourId };

export interface HourlyUsageRow {
  /** Partition hour the records were delivered into. */
  readonly hour: HourId;
  /** UTC month of the records' `date` column, 'YYYY-MM' (billing semantics: month by `date`). */
  readonly month: string;
  /** The fingerprint the edge function logged (viewer_request_log_data), or null when the record carries none. */
  readonly apikeyFp: string | null;
  readonly requests: number; // billable: status 200-399
  readonly rejected: number; // 400-499
  readonly errors: number; // 500-599
  /** Every deduplicated record, whatever its status (includes e.g. 000 and 1xx). */
  readonly total: number;
  readonly bytesOut: number; // sum of sc_bytes of billable requests
  readonly bytesIn: number; // sum of cs_bytes of billable requests
}

export interface EngineResult {
  readonly rows: HourlyUsageRow[];
  /** Bytes the engine read for this query (Athena DataScannedInBytes; DuckDB: file bytes read). */
  readonly bytesScanned: number;
}

/** Computes hourly usage for the given partition hours. Implementations: DuckDB, Athena. */
export interface UsageEngine {
  readonly name: 'duckdb' | 'athena';
  queryHours(hours: readonly HourId[]): Promise<EngineResult>;
  close(): Promise<void>;
}
