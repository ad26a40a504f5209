/**
 * The registry's local backend: one JSON file, tagged by the SHA-256 of its content. A write
 * compares the tag under an exclusive lock file (two CLIs on one machine serialize), writes the new
 * content atomically and keeps the previous content as `<file>.v<revision>` (the local history, as
 * S3 versioning is in AWS).
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { writeFileAtomic } from './atomic-file';
import { RegistryConflictError, type RegistryStore } from './registry';

const STALE_LOCK_MS = 30_000;

export function contentTag(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export class FileRegistryStore implements RegistryStore {
  constructor(readonly location: string) {}

  async read(): Promise<{ text: string; etag: string } | undefined> {
    if (!existsSync(this.location)) return undefined;
    const text = readFileSync(this.location, 'utf8');
    return { text, etag: contentTag(text) };
  }

  async write(text: string, etag: string | undefined): Promise<string> {
    const lock = `${this.location}.lock`;
    const release = acquire(lock);
    try {
      const current = existsSync(this.location) ? readFileSync(this.location, 'utf8') : undefined;
      const currentTag = current === undefined ? undefined : contentTag(current);
      if (currentTag !== etag) throw new RegistryConflictError(this.location);
      if (current !== undefined) {
        const revision = (JSON.parse(current) as { revision?: number }).revision ?? 0;
        writeFileAtomic(`${this.location}.v${revision}`, current, 0o600);
      }
      writeFileAtomic(this.location, text, 0o600);
      return contentTag(text);
    } finally {
      release();
    }
  }
}

function acquire(lock: string): () => void {
  try {
    closeSync(openSync(lock, 'wx', 0o600));
  } catch {
    // A lock left by a killed CLI is taken over once it is old; a live one means another writer.
    if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) {
      rmSync(lock, { force: true });
      return acquire(lock);
    }
    throw new Error(`registry lock ${lock} is held by another keys command; wait for it, or delete the file if no command runs`);
  }
  return () => rmSync(lock, { force: true });
}
