/**
 * SinkLedgerStore in memory, for sink tests and benchmarks: the same compare-and-swap as the file
 * and S3 stores (ledger-store-contract.ts runs against all three). Bodies are stored as JSON text,
 * so a test never shares an object with the sink. Two faults: `failWrites` makes the next writes
 * reject with an Error; `crashOnWrite(n)` makes the n-th write from now (optionally only counting
 * writes whose location contains a text, e.g. '/shard-') throw CrashError and store nothing, as a
 * process killed between a send and its ledger write would leave things. `writes` counts the
 * successful writes. After a crash the store stays dead (every write throws CrashError, as after a
 * kill nothing more is written) until `crashOnWrite(0)`.
 */
import { ledgerKey, parseLedger } from '../ledger-key';
import { LedgerConflictError, type LedgerDocument, type SinkLedgerStore } from '../sink';

export class CrashError extends Error {
  constructor() {
    super('simulated crash before the ledger write');
    this.name = 'CrashError';
  }
}

export class MemoryLedgerStore implements SinkLedgerStore {
  private readonly docs = new Map<string, { text: string; revision: string }>();
  private nextRevision = 1;
  private crash: { countdown: number; matching: string } | undefined;
  private dead = false;
  writes = 0;
  bytesWritten = 0;
  /** Writes still to refuse with an Error (not a conflict). */
  failWrites = 0;

  constructor(readonly environment = 'test') {}

  location(sink: string, month: string, part?: string): string {
    return `memory://${this.environment}/${ledgerKey(sink, month, part)}`;
  }

  async read<T>(sink: string, month: string, part?: string): Promise<LedgerDocument<T> | undefined> {
    const location = this.location(sink, month, part);
    const doc = this.docs.get(location);
    return doc === undefined ? undefined : { body: parseLedger<T>(doc.text, location), revision: doc.revision };
  }

  async write<T>(sink: string, month: string, body: T, expected: string | undefined, part?: string): Promise<string> {
    const location = this.location(sink, month, part);
    const text = JSON.stringify(body);
    if (this.failWrites > 0) {
      this.failWrites -= 1;
      throw new Error(`${location}: write failed (injected)`);
    }
    if (this.crash !== undefined && location.includes(this.crash.matching) && --this.crash.countdown === 0) {
      this.crash = undefined;
      this.dead = true;
    }
    if (this.dead) throw new CrashError();
    const current = this.docs.get(location)?.revision;
    if (current !== expected) throw new LedgerConflictError(`sink ledger ${location} changed since it was read; nothing was written`);
    const revision = `r${this.nextRevision++}`;
    this.docs.set(location, { text, revision });
    this.writes += 1;
    this.bytesWritten += Buffer.byteLength(text, 'utf8');
    return revision;
  }

  /** The `n`-th write from now (1-based) of a location containing `matching` and every write after it throw CrashError; 0 clears it and revives the store. */
  crashOnWrite(n: number, matching = ''): void {
    this.crash = n > 0 ? { countdown: n, matching } : undefined;
    this.dead = false;
  }

  /** Bytes of a month's ledger: the document and all its parts. */
  sizeBytes(sink: string, month: string): number {
    const whole = this.location(sink, month);
    const parts = `${whole.slice(0, -'.json'.length)}/`;
    let bytes = 0;
    for (const [location, doc] of this.docs) if (location === whole || location.startsWith(parts)) bytes += Buffer.byteLength(doc.text, 'utf8');
    return bytes;
  }

  /** Locations stored, sorted (what a test expects to find written). */
  locations(): string[] {
    return [...this.docs.keys()].sort();
  }
}
