/**
 * A rollup store for dry runs against AWS: reads come from the real store (the usage bucket), every
 * write stays in memory for the rest of the run. A `--dry-run --engine athena` run therefore
 * computes the same figures as a real run and writes nothing to the usage bucket (no rollup, no
 * manifest): the stored state stays the record of real runs.
 */
import type { HourRollup, RollupManifest, RollupStore, StoredManifest, StoredRollup } from './rollup-store';
import type { HourId } from './types';

export class ReadOnlyRollupStore implements RollupStore {
  private readonly hours = new Map<HourId, HourRollup>();
  private manifest: RollupManifest | undefined;
  /** Writes kept in memory instead of stored. */
  writesKept = 0;

  constructor(private readonly inner: RollupStore) {}

  get source(): RollupStore['source'] {
    return this.inner.source;
  }

  get location(): string {
    return `${this.inner.location} (read only: dry run)`;
  }

  get otherSourceAdvice(): string {
    return this.inner.otherSourceAdvice;
  }

  async getHour(hour: HourId): Promise<StoredRollup | null> {
    return this.hours.get(hour) ?? this.inner.getHour(hour);
  }

  async putHour(rollup: HourRollup): Promise<void> {
    this.hours.set(rollup.hour, rollup);
    this.writesKept += 1;
  }

  async readManifest(): Promise<StoredManifest | null> {
    return this.manifest ?? this.inner.readManifest();
  }

  async writeManifest(manifest: RollupManifest): Promise<void> {
    this.manifest = manifest;
    this.writesKept += 1;
  }
}

/** The store a run writes to: with --dry-run against AWS, nothing reaches the usage bucket. */
export function storeForRun(store: RollupStore, options: { readonly dryRun: boolean; readonly engine: 'duckdb' | 'athena' }): RollupStore {
  return options.dryRun && options.engine === 'athena' ? new ReadOnlyRollupStore(store) : store;
}
