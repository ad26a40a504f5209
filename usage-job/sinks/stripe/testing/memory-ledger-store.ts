/**
 * A SinkLedgerStore in memory for the Stripe sink's tests: compare-and-swap on a counter revision,
 * copies in and out (so a sink never shares objects with the store), and a crash switch that fails
 * a chosen write, as a process killed between a send and its ledger write would leave things.
 */
import { LedgerConflictError, type LedgerDocument, type SinkLedgerStore } from '../../sink';

export class CrashError extends Error {
  constructor() {
    super('simulated crash before the ledger write');
    this.name = 'CrashError';
  }
}

export class MemoryLedgerStore implements SinkLedgerStore {
  private readonly docs = new Map<string, { text: string; revision: string }>();
  private counter = 0;
  writes = 0;
  /** The write with this number (1-based, counted from now) throws CrashError and stores nothing. */
  private crashAt: number | undefined;

  location(sink: string, month: string): string {
    return `memory://${sink}/${month}.json`;
  }

  async read<T>(sink: string, month: string): Promise<LedgerDocument<T> | undefined> {
    const doc = this.docs.get(`${sink}/${month}`);
    return doc === undefined ? undefined : { body: JSON.parse(doc.text) as T, revision: doc.revision };
  }

  async write<T>(sink: string, month: string, body: T, expected: string | undefined): Promise<string> {
    const text = JSON.stringify(body);
    this.writes++;
    if (this.crashAt !== undefined && --this.crashAt === 0) {
      this.crashAt = undefined;
      throw new CrashError();
    }
    const key = `${sink}/${month}`;
    if (this.docs.get(key)?.revision !== expected) throw new LedgerConflictError(`${this.location(sink, month)} changed since it was read`);
    const revision = String(++this.counter);
    this.docs.set(key, { text, revision });
    return revision;
  }

  crashOnWrite(n: number): void {
    this.crashAt = n;
  }

  sizeBytes(sink: string, month: string): number {
    return Buffer.byteLength(this.docs.get(`${sink}/${month}`)?.text ?? '', 'utf8');
  }
}
