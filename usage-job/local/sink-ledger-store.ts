/**
 * SinkLedgerStore on the local file system (usage-job/sinks/sink.ts): `<dir>/<sink>/<month>.json`
 * and its parts `<dir>/<sink>/<month>/<part>.json`,
 * the CLI's `<dir>` being `<state>/sinks/<environment>` beside the run's rollups. The revision is
 * the SHA-256 of the file's content; a write compares it under an exclusive lock file
 * (keys/file-lock.ts), then replaces the file atomically (keys/atomic-file.ts), so a write that lost
 * the race changes nothing and a crash leaves the old ledger or the new, never part of one.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { LOCK_WAIT_MS, withFileLock } from '../../keys/file-lock';
import { writeFileAtomic } from '../../keys/atomic-file';
import { ledgerKey, parseLedger } from '../sinks/ledger-key';
import { LedgerConflictError, type LedgerDocument, type SinkLedgerStore } from '../sinks/sink';

const contentHash = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export class FileSinkLedgerStore implements SinkLedgerStore {
  readonly root: string;

  constructor(
    dir: string,
    private readonly lockWaitMs = LOCK_WAIT_MS,
  ) {
    this.root = resolve(dir);
  }

  location(sink: string, month: string, part?: string): string {
    return join(this.root, ledgerKey(sink, month, part));
  }

  async read<T>(sink: string, month: string, part?: string): Promise<LedgerDocument<T> | undefined> {
    const path = this.location(sink, month, part);
    if (!existsSync(path)) return undefined;
    const text = readFileSync(path, 'utf8');
    return { body: parseLedger<T>(text, path), revision: contentHash(text) };
  }

  async write<T>(sink: string, month: string, body: T, expected: string | undefined, part?: string): Promise<string> {
    const path = this.location(sink, month, part);
    const text = `${JSON.stringify(body)}\n`;
    mkdirSync(dirname(path), { recursive: true });
    return withFileLock(
      `${path}.lock`,
      () => {
        const current = existsSync(path) ? contentHash(readFileSync(path, 'utf8')) : undefined;
        if (current !== expected) {
          throw new LedgerConflictError(
            `sink ledger ${path} changed since it was read (${expected === undefined ? 'it now exists' : current === undefined ? 'it is gone' : 'another revision'}); nothing was written, rerun the sink`,
          );
        }
        writeFileAtomic(path, text);
        return contentHash(text);
      },
      this.lockWaitMs,
      'usage run',
    );
  }
}
