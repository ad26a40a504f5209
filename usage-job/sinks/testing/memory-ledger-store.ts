/**
 * SinkLedgerStore in memory, for sink unit tests: the same compare-and-swap as the file and S3
 * stores (usage-job/sinks/ledger-store-contract.ts runs against all three). Bodies are stored as
 * JSON text, so a test never shares an object with the sink. `failWrites` makes the next writes
 * reject (a crash between send and ledger write), `writes` counts the successful ones.
 */
import { ledgerKey, parseLedger } from '../ledger-key';
import { LedgerConflictError, type LedgerDocument, type SinkLedgerStore } from '../sink';

export class MemoryLedgerStore implements SinkLedgerStore {
  private readonly docs = new Map<string, { text: string; revision: string }>();
  private nextRevision = 1;
  writes = 0;
  /** Writes still to refuse with an Error (not a conflict), as a process killed before its write would leave things. */
  failWrites = 0;

  constructor(readonly environment = 'test') {}

  location(sink: string, month: string): string {
    return `memory://${this.environment}/${ledgerKey(sink, month)}`;
  }

  async read<T>(sink: string, month: string): Promise<LedgerDocument<T> | undefined> {
    const doc = this.docs.get(this.location(sink, month));
    return doc === undefined ? undefined : { body: parseLedger<T>(doc.text, this.location(sink, month)), revision: doc.revision };
  }

  async write<T>(sink: string, month: string, body: T, expected: string | undefined): Promise<string> {
    const location = this.location(sink, month);
    if (this.failWrites > 0) {
      this.failWrites -= 1;
      throw new Error(`${location}: write failed (injected)`);
    }
    const current = this.docs.get(location)?.revision;
    if (current !== expected) throw new LedgerConflictError(`sink ledger ${location} changed since it was read; nothing was written`);
    const revision = `r${this.nextRevision++}`;
    this.docs.set(location, { text: JSON.stringify(body), revision });
    this.writes += 1;
    return revision;
  }
}
