/** NoticeLedger on the local file system: <dir>/<month>/<keyId>/<threshold>.json, each written atomically; the CLI's <dir> is <state>/notices/<environment>. */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../../keys/atomic-file';
import { ledgerEntry, type NoticeLedger, type QuotaNotice } from '../quota-notices';

export class LocalNoticeLedger implements NoticeLedger {
  readonly location: string;

  constructor(dir: string) {
    this.location = resolve(dir);
  }

  async recorded(month: string): Promise<ReadonlySet<string>> {
    const root = join(this.location, month);
    const entries = new Set<string>();
    if (!existsSync(root)) return entries;
    for (const keyId of readdirSync(root)) {
      for (const file of readdirSync(join(root, keyId))) {
        const m = /^(.+)\.json$/.exec(file);
        if (m) entries.add(`${keyId}/${m[1]}`);
      }
    }
    return entries;
  }

  async record(month: string, notices: readonly QuotaNotice[], sentAt: Date): Promise<void> {
    for (const n of notices) {
      writeFileAtomic(
        join(this.location, month, `${ledgerEntry(n)}.json`),
        `${JSON.stringify({ noticeId: n.detail.noticeId, sentAt: sentAt.toISOString() })}\n`,
      );
    }
  }
}
