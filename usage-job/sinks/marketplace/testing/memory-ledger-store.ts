/** A SinkLedgerStore in memory with the contract's compare-and-swap (sinks/sink.ts), for tests. */
import { createHash } from 'node:crypto';
import { LedgerConflictError, type LedgerDocument, type SinkLedgerStore } from '../../sink';

export class MemoryLedgerStore implements SinkLedgerStore {
  readonly documents = new Map<string, { text: string; revision: string }>();
  writes = 0;

  location(sink: string, month: string): string {
    return `memory://${sink}/${month}.json`;
  }

  async read<T>(sink: string, month: string): Promise<LedgerDocument<T> | undefined> {
    const stored = this.documents.get(this.location(sink, month));
    return stored === undefined ? undefined : { body: JSON.parse(stored.text) as T, revision: stored.revision };
  }

  async write<T>(sink: string, month: string, body: T, expected: string | undefined): Promise<string> {
    const key = this.location(sink, month);
    if (this.documents.get(key)?.revision !== expected) throw new LedgerConflictError(`${key} is not at revision ${String(expected)}`);
    const text = JSON.stringify(body);
    const revision = createHash('sha256').update(text).digest('hex').slice(0, 16) + `-${++this.writes}`;
    this.documents.set(key, { text, revision });
    return revision;
  }
}
