/**
 * A sink ledger split by customer, so a month of 10,000 customers is never one document (a single
 * JSON string has a size limit in V8, and an hourly run should rewrite only what changed).
 *
 * Layout in the SinkLedgerStore: the month document `<sink>/<month>.json` is the head (format,
 * environment, month, shard count, and the sink's month-wide fields); each customer lives in shard
 * `<sink>/<month>/shard-NNN.json`, chosen by a hash of its id modulo the shard count the head
 * records (fixed for the month once written).
 *
 * Writes: each shard and the head have their own compare-and-swap, and a checkpoint writes the
 * changed shards in parallel. A customer's state lives in one shard only, so two runs racing on one
 * month conflict on every shard both changed (each may win some and lose others, and both stop);
 * runs that changed disjoint shards both succeed. The head is created before any shard, so a shard
 * never exists without the head that says how many there are (shards without a head are refused);
 * after that it is written after the shards. A kill between two writes leaves each document whole,
 * old or new; a sink's per-customer intent-then-send protocol holds within a shard, which is all it
 * needs. Month-wide fields a sink derives from customers (Stripe's carried totals) can therefore lag
 * the shards after a kill or a race: the sink recomputes them on each read (stripe-sink.ts).
 */
import { createHash } from 'node:crypto';
import type { SinkLedgerStore } from './sink';

/** Shards of a new month: ~1/64 of 10,000 customers' month per document (docs/sinks.md, "Ledgers"). */
export const DEFAULT_SHARDS = 64;
/** Shards read at once. */
const READ_CONCURRENCY = 16;

export interface LedgerHead<H> {
  readonly format: string;
  readonly environment: string;
  readonly month: string;
  readonly shards: number;
  readonly head: H;
}

interface LedgerShard<C> {
  readonly format: string;
  readonly environment: string;
  readonly month: string;
  readonly shard: number;
  readonly customers: Record<string, C>;
}

export interface ShardedLedgerSpec<H> {
  readonly store: SinkLedgerStore;
  readonly sink: string;
  readonly environment: string;
  readonly month: string;
  /** The sink's ledger format, stored in the head and every shard; another one is refused. */
  readonly format: string;
  readonly emptyHead: () => H;
  /** Shards of a month not written yet (default DEFAULT_SHARDS). */
  readonly shards?: number;
}

export function shardOf(customerId: string, shards: number): number {
  return createHash('sha256').update(customerId, 'utf8').digest().readUInt32BE(0) % shards;
}

export const shardName = (shard: number): string => `shard-${String(shard).padStart(3, '0')}`;

export class ShardedLedger<H, C> {
  /** The sink's month-wide fields; call touchHead() after changing them. */
  readonly head: H;
  /** Every customer of the month; call touch(id) after adding or changing one. */
  readonly customers: Record<string, C>;
  private readonly revisions = new Map<number | 'head', string | undefined>();
  private readonly dirty = new Set<number>();
  private headDirty: boolean;
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    private readonly spec: ShardedLedgerSpec<H>,
    readonly shards: number,
    head: H,
    customers: Record<string, C>,
    headRevision: string | undefined,
  ) {
    this.head = head;
    this.customers = customers;
    this.revisions.set('head', headRevision);
    this.headDirty = headRevision === undefined;
  }

  /** Reads the head and every shard (a month with no head is empty); throws one line on a document of another format, environment or month. */
  static async read<H, C>(spec: ShardedLedgerSpec<H>): Promise<ShardedLedger<H, C>> {
    const { store, sink, month } = spec;
    const location = store.location(sink, month);
    const stored = await store.read<LedgerHead<H>>(sink, month);
    if (stored === undefined) {
      const shards = spec.shards ?? DEFAULT_SHARDS;
      const orphan = (await readBatched(shards, (shard) => store.read(sink, month, shardName(shard)))).findIndex((doc) => doc !== undefined);
      if (orphan >= 0) {
        throw new Error(
          `${store.location(sink, month, shardName(orphan))} exists but its ledger head ${location} does not: restore the head from the object's version history (or the whole <month>/ folder with it); nothing is sent until it is back`,
        );
      }
      return new ShardedLedger<H, C>(spec, shards, spec.emptyHead(), {}, undefined);
    }
    const head = checkDocument(stored.body, spec, location);
    if (!Number.isInteger(head.shards) || head.shards < 1 || head.shards > 1000)
      throw new Error(`${location}: shard count ${String(head.shards)} is not 1 to 1000`);
    const ledger = new ShardedLedger<H, C>(spec, head.shards, head.head, {}, stored.revision);
    const docs = await readBatched(head.shards, (shard) => store.read<LedgerShard<C>>(sink, month, shardName(shard)));
    docs.forEach((doc, shard) => {
      ledger.revisions.set(shard, doc?.revision);
      if (doc === undefined) return;
      const where = store.location(sink, month, shardName(shard));
      const body = checkDocument(doc.body, spec, where) as unknown as LedgerShard<C>;
      if (body.shard !== shard || typeof body.customers !== 'object' || body.customers === null)
        throw new Error(`${where} is not shard ${shard} of this ledger`);
      for (const [id, customer] of Object.entries(body.customers)) {
        if (shardOf(id, head.shards) !== shard) throw new Error(`${where} holds customer ${id}, which belongs in ${shardName(shardOf(id, head.shards))}`);
        ledger.customers[id] = customer;
      }
    });
    return ledger;
  }

  /** Only the head of a month (the sink's month-wide fields), or undefined when the month has none. */
  static async readHead<H>(spec: ShardedLedgerSpec<H>): Promise<H | undefined> {
    const stored = await spec.store.read<LedgerHead<H>>(spec.sink, spec.month);
    return stored === undefined ? undefined : checkDocument(stored.body, spec, spec.store.location(spec.sink, spec.month)).head;
  }

  location(): string {
    return this.spec.store.location(this.spec.sink, this.spec.month);
  }

  /** False for a month nothing was written for yet. */
  get stored(): boolean {
    return this.revisions.get('head') !== undefined;
  }

  touch(customerId: string): void {
    this.dirty.add(shardOf(customerId, this.shards));
  }

  touchHead(): void {
    this.headDirty = true;
  }

  /** True when something changed since the last write. */
  get changed(): boolean {
    return this.headDirty || this.dirty.size > 0;
  }

  /** How many shards changed since the last write. */
  get dirtyShards(): number {
    return this.dirty.size;
  }

  /**
   * Stores every shard changed since the last write (and the head if it changed), as they stand
   * when this write starts, after any write still under way. Rejects with the first failure
   * (LedgerConflictError when another run wrote first); the documents that were written stay
   * written and the others stay marked changed.
   */
  write(): Promise<void> {
    const next = this.writes.then(() => this.writeChanged());
    this.writes = next.catch(() => undefined);
    return next;
  }

  private async writeChanged(): Promise<void> {
    const { store, sink, month, format, environment } = this.spec;
    const shards = [...this.dirty].sort((a, b) => a - b);
    this.dirty.clear();
    const writeHead = async () => {
      if (!this.headDirty) return;
      this.headDirty = false;
      const head: LedgerHead<H> = { format, environment, month, shards: this.shards, head: this.head };
      try {
        this.revisions.set('head', await store.write(sink, month, head, this.revisions.get('head')));
      } catch (error) {
        this.headDirty = true;
        throw error;
      }
    };
    const creating = this.revisions.get('head') === undefined;
    try {
      if (creating) await writeHead(); // a shard never exists without its head
    } catch (error) {
      shards.forEach((shard) => this.dirty.add(shard));
      throw error;
    }
    const byShard = new Map<number, Record<string, C>>(shards.map((shard) => [shard, {}]));
    for (const [id, customer] of Object.entries(this.customers)) {
      const own = byShard.get(shardOf(id, this.shards));
      if (own !== undefined) own[id] = customer;
    }
    // Each store.write serializes its body before it returns, so all shards are taken in this turn.
    const results = await Promise.allSettled(
      shards.map(async (shard) => {
        const body: LedgerShard<C> = { format, environment, month, shard, customers: byShard.get(shard)! };
        try {
          this.revisions.set(shard, await store.write(sink, month, body, this.revisions.get(shard), shardName(shard)));
        } catch (error) {
          this.dirty.add(shard);
          throw error;
        }
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    await writeHead();
  }
}

/** `read(0..count-1)`, READ_CONCURRENCY at a time, in index order. */
async function readBatched<T>(count: number, read: (index: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i += READ_CONCURRENCY) {
    const batch = Array.from({ length: Math.min(READ_CONCURRENCY, count - i) }, (_, k) => i + k);
    out.push(...(await Promise.all(batch.map(read))));
  }
  return out;
}

function checkDocument<H>(body: unknown, spec: ShardedLedgerSpec<H>, location: string): LedgerHead<H> {
  const doc = body as Partial<LedgerHead<H>> | null;
  if (doc === null || typeof doc !== 'object' || doc.format !== spec.format) {
    const found = (doc as { format?: unknown } | null)?.format;
    throw new Error(
      `${location} is ledger format ${JSON.stringify(found)}, this version reads ${spec.format}: run the version that wrote it (usage.yml runs the deployed commit), and never move a ledger aside: the sink would reuse its event identifiers and could bill twice`,
    );
  }
  if (doc.environment !== spec.environment || doc.month !== spec.month) {
    throw new Error(`${location} is the ledger of ${String(doc.environment)} ${String(doc.month)}, not of ${spec.environment} ${spec.month}`);
  }
  return doc as LedgerHead<H>;
}
