/**
 * RollupStore on the local file system: <dir>/rollups/YYYY-MM-DD/HH.json and <dir>/manifest.json,
 * each written atomically (lambdas/usage-job/atomic-file.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file';
import { hourStart } from './hours';
import type { HourRollup, RollupManifest, RollupStore } from './rollup-store';
import type { HourId } from './types';

export function emptyManifest(): RollupManifest {
  return { version: 1, updatedAt: new Date(0).toISOString(), hours: {} };
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class LocalRollupStore implements RollupStore {
  constructor(private readonly dir: string) {}

  private hourFile(hour: HourId): string {
    hourStart(hour); // validates
    return join(this.dir, 'rollups', hour.slice(0, 10), `${hour.slice(11, 13)}.json`);
  }

  private manifestFile(): string {
    return join(this.dir, 'manifest.json');
  }

  async getHour(hour: HourId): Promise<HourRollup | null> {
    const path = this.hourFile(hour);
    if (!existsSync(path)) return null;
    const value = readJson(path);
    if (!isRecord(value) || value.hour !== hour || !Array.isArray(value.rows)) throw new Error(`${path} is not a rollup of hour ${hour}`);
    return value as unknown as HourRollup;
  }

  async putHour(rollup: HourRollup): Promise<void> {
    writeFileAtomic(this.hourFile(rollup.hour), `${JSON.stringify(rollup, null, 1)}\n`);
  }

  async readManifest(): Promise<RollupManifest> {
    const path = this.manifestFile();
    if (!existsSync(path)) return emptyManifest();
    const value = readJson(path);
    if (!isRecord(value) || value.version !== 1 || !isRecord(value.hours)) throw new Error(`${path} is not a usage-job manifest (version 1)`);
    return value as unknown as RollupManifest;
  }

  async writeManifest(manifest: RollupManifest): Promise<void> {
    writeFileAtomic(this.manifestFile(), `${JSON.stringify(manifest)}\n`);
  }
}
