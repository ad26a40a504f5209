/**
 * Buffers access-log records in memory and writes them as Parquet files in the log layout of docs/contracts.md
 * (one file per partition hour per flush) with the shared log writer. Flushes run one at a time;
 * a failed write keeps its records for the next flush, so nothing is dropped.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { writeLogFile } from '../../sql/log-writer';
import type { LogRecordRow } from './log-record';

export interface LogDestination {
  readonly root: string;
  readonly accountId: string;
  readonly distributionId: string;
}

export class LogBuffer {
  private pending: LogRecordRow[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private connection: DuckDBConnection | undefined;
  private instance: DuckDBInstance | undefined;
  /** Records written to Parquet so far. */
  written = 0;
  /** Parquet files written so far. */
  files = 0;
  lastError: string | undefined;

  constructor(private readonly destination: LogDestination) {}

  add(record: LogRecordRow): void {
    this.pending.push(record);
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** Writes everything added so far; resolves once it is on disk (or rejects, keeping it buffered). */
  flush(): Promise<void> {
    const next = this.flushing.catch(() => undefined).then(() => this.writePending());
    this.flushing = next;
    return next;
  }

  async close(): Promise<void> {
    await this.flush();
    this.connection?.closeSync();
    this.instance?.closeSync();
    this.connection = undefined;
    this.instance = undefined;
  }

  private async writePending(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const byHour = new Map<string, LogRecordRow[]>();
    for (const record of batch) {
      const hour = `${record.date}T${record.time.slice(0, 2)}`;
      const list = byHour.get(hour);
      if (list === undefined) byHour.set(hour, [record]);
      else list.push(record);
    }
    const connection = await this.connect();
    const done = new Set<string>();
    try {
      for (const [hour, records] of byHour) {
        const { root, accountId, distributionId } = this.destination;
        await writeLogFile(root, accountId, distributionId, new Date(`${hour}:00:00Z`), records, { connection });
        done.add(hour);
        this.written += records.length;
        this.files += 1;
      }
      this.lastError = undefined;
    } catch (error) {
      // Put back what was not written, ahead of anything added meanwhile.
      const rest = [...byHour].filter(([hour]) => !done.has(hour)).flatMap(([, records]) => records);
      this.pending = [...rest, ...this.pending];
      this.lastError = (error as Error).message;
      throw error;
    }
  }

  private async connect(): Promise<DuckDBConnection> {
    if (this.connection === undefined) {
      this.instance = await DuckDBInstance.create(':memory:');
      this.connection = await this.instance.connect();
    }
    return this.connection;
  }
}
