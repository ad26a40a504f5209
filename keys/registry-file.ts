/**
 * The registry's local backend: one JSON file, tagged by the SHA-256 of its content. A write
 * compares the tag under an exclusive lock file (keys/file-lock.ts: two CLIs on one machine
 * serialize), writes the new content atomically and keeps the previous content as
 * `<file>.v<revision>` (the local history, as S3 versioning is in AWS).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic-file';
import { LOCK_WAIT_MS, withFileLock } from './file-lock';
import { RegistryConflictError, type RegistryStore } from './registry';

export function contentTag(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export class FileRegistryStore implements RegistryStore {
  constructor(
    readonly location: string,
    private readonly lockWaitMs = LOCK_WAIT_MS,
  ) {}

  async read(): Promise<{ text: string; etag: string } | undefined> {
    if (!existsSync(this.location)) return undefined;
    const text = readFileSync(this.location, 'utf8');
    return { text, etag: contentTag(text) };
  }

  async write(text: string, etag: string | undefined): Promise<string> {
    return withFileLock(
      `${this.location}.lock`,
      () => {
        const current = existsSync(this.location) ? readFileSync(this.location, 'utf8') : undefined;
        const currentTag = current === undefined ? undefined : contentTag(current);
        if (currentTag !== etag) throw new RegistryConflictError(this.location);
        if (current !== undefined) {
          const revision = (JSON.parse(current) as { revision?: number }).revision ?? 0;
          writeFileAtomic(`${this.location}.v${revision}`, current, 0o600);
        }
        writeFileAtomic(this.location, text, 0o600);
        return contentTag(text);
      },
      this.lockWaitMs,
    );
  }
}
