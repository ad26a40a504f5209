/**
 * The local edge store: one JSON file `{ "<fingerprint>": "<value>" }` (contracts/edge-keys.ts),
 * replaced atomically on every change so the local edge reads the old map or the new, never part.
 * A change is read, made and written under the file's lock, so two CLIs never lose each other's.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic-file';
import { withFileLock } from './file-lock';
import type { EdgeChanges, EdgeKeyStore } from './edge-store';

export class FileEdgeKeyStore implements EdgeKeyStore {
  readonly propagation: string;

  constructor(readonly path: string) {
    this.propagation = `the local edge reads ${path} on every request, so the next request sees this change`;
  }

  async list(): Promise<ReadonlyMap<string, string>> {
    return new Map(Object.entries(this.read()));
  }

  async apply(changes: EdgeChanges): Promise<void> {
    await withFileLock(`${this.path}.lock`, () => {
      const entries = this.read();
      for (const fingerprint of changes.delete) delete entries[fingerprint];
      for (const { fingerprint, value } of changes.put) entries[fingerprint] = value;
      const sorted = Object.fromEntries(Object.entries(entries).sort(([a], [b]) => a.localeCompare(b)));
      writeFileAtomic(this.path, JSON.stringify(sorted, null, 1) + '\n');
    });
  }

  private read(): Record<string, string> {
    if (!existsSync(this.path)) return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (error) {
      throw new Error(`edge key file ${this.path} is not valid JSON (${(error as Error).message}); run keys sync --fix after deleting it`, { cause: error });
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== 'string')) {
      throw new Error(`edge key file ${this.path} must map fingerprints to strings; run keys sync --fix after deleting it`);
    }
    return { ...(parsed as Record<string, string>) };
  }
}

/** An in-memory edge store for tests and dry runs. */
export class MemoryEdgeKeyStore implements EdgeKeyStore {
  readonly propagation = 'in memory: the next look-up sees this change';
  readonly entries = new Map<string, string>();
  async list(): Promise<ReadonlyMap<string, string>> {
    return new Map(this.entries);
  }
  async apply(changes: EdgeChanges): Promise<void> {
    for (const f of changes.delete) this.entries.delete(f);
    for (const e of changes.put) this.entries.set(e.fingerprint, e.value);
  }
}
