/**
 * RollupStore on the local file system: <dir>/rollups/YYYY-MM-DD/HH.json and <dir>/manifest.json,
 * each written atomically (keys/atomic-file.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../../keys/atomic-file';
import { hourStart } from '../../sql/hours';
import {
  asStoredManifest,
  asStoredRollup,
  type HourRollup,
  type RollupManifest,
  type RollupStore,
  type StoredManifest,
  type StoredRollup,
} from '../rollup-store';
import type { UsageStateSource } from '../state-source';
import type { HourId } from '../types';

export interface LocalRollupStoreOptions {
  /** Ends the refusal when the folder holds another source's state (default: delete the folder). */
  readonly otherSourceAdvice?: string;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

export class LocalRollupStore implements RollupStore {
  readonly location: string;
  readonly otherSourceAdvice: string;

  constructor(
    dir: string,
    readonly source: UsageStateSource,
    options: LocalRollupStoreOptions = {},
  ) {
    this.location = resolve(dir);
    this.otherSourceAdvice = options.otherSourceAdvice ?? `move ${this.location} aside to start over`;
  }

  private hourFile(hour: HourId): string {
    hourStart(hour); // validates
    return join(this.location, 'rollups', hour.slice(0, 10), `${hour.slice(11, 13)}.json`);
  }

  private manifestFile(): string {
    return join(this.location, 'manifest.json');
  }

  async getHour(hour: HourId): Promise<StoredRollup | null> {
    const path = this.hourFile(hour);
    if (!existsSync(path)) return null;
    const rollup = asStoredRollup(readJson(path), hour);
    if (rollup === undefined) throw new Error(`${path} is not a rollup of hour ${hour}; delete it and rerun to recompute that hour`);
    return rollup;
  }

  async putHour(rollup: HourRollup): Promise<void> {
    writeFileAtomic(this.hourFile(rollup.hour), `${JSON.stringify(rollup, null, 1)}\n`);
  }

  async readManifest(): Promise<StoredManifest | null> {
    const path = this.manifestFile();
    if (!existsSync(path)) return null;
    const manifest = asStoredManifest(readJson(path));
    if (manifest === undefined) throw new Error(`${path} is not a usage-job manifest (version 1 or 2); delete it and rerun (the late window is recomputed)`);
    return manifest;
  }

  async writeManifest(manifest: RollupManifest): Promise<void> {
    writeFileAtomic(this.manifestFile(), `${JSON.stringify(manifest)}\n`);
  }
}
