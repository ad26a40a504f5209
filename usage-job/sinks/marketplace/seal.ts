/**
 * Sealing closed days of the Marketplace ledger (ledger.ts): once every hour of a day is past the
 * Marketplace's acceptance window and none of its records is still an intent, its records can
 * never change (new records go only to open hours, answers only to intents). Each shard's records
 * of the day are then written whole, once, to the part `sealed-DD-shard-NNN`; after all of them
 * the head's `sealedDays` moves on, and the shards keep only each record's state and quantity.
 *
 * A kill at any point leaves the ledger readable: parts are written before the head or any shard
 * names their day, and each customer's shard says (`detailFrom`) where its own details start. A part found
 * already written (a run killed while sealing) must hold exactly what this run would write, or the
 * run stops as for any ledger conflict.
 */
import { shardOf } from '../sharded-ledger';
import { LedgerConflictError, type SinkLedgerStore } from '../sink';
import {
  DIMENSION_KEYS,
  MARKETPLACE_LEDGER_FORMAT,
  detailBoundary,
  sealedDays,
  encodeRecords,
  hoursInMonth,
  sealedPartName,
  type DimensionKey,
  type MarketplaceLedger,
  type MarketplaceLedgerFile,
  type RecordColumns,
  type SealedPart,
} from './ledger';

const DAY_HOURS = 24;
const WRITE_CONCURRENCY = 16;

export interface SealInput {
  readonly file: MarketplaceLedgerFile;
  readonly ledger: MarketplaceLedger;
  readonly store: SinkLedgerStore;
  readonly sink: string;
  readonly environment: string;
  readonly month: string;
  /** The first hour (index in the month) still open for records: every earlier one is closed for good. */
  readonly firstOpenHour: number;
}

/**
 * Seals every closed day not sealed yet (writing its parts and moving the head on) and returns the
 * customers whose shards still hold details of sealed days: the caller stores them and writes.
 */
export async function sealClosedDays(input: SealInput): Promise<string[]> {
  const { file, ledger, month } = input;
  const closedDays = Math.floor(Math.min(input.firstOpenHour, hoursInMonth(month)) / DAY_HOURS);
  for (let day = sealedDays(file); day < closedDays; day++) {
    const from = day * DAY_HOURS;
    const to = from + DAY_HOURS;
    const parts = new Map<number, Record<string, Partial<Record<DimensionKey, RecordColumns>>>>();
    let intents = false;
    // In a fixed order, so a part rewritten after a kill compares equal to the stored one.
    const entries = Object.values(ledger.entries).sort(
      (a, b) =>
        (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0) || DIMENSION_KEYS.indexOf(a.dimension) - DIMENSION_KEYS.indexOf(b.dimension),
    );
    for (const entry of entries) {
      const columns = encodeRecords(entry, month, { from, to });
      if (columns.states === '') continue;
      if (columns.states.includes('I')) intents = true;
      const shard = shardOf(entry.customerId, file.shards);
      const customers = parts.get(shard) ?? parts.set(shard, {}).get(shard)!;
      (customers[entry.customerId] ??= {})[entry.dimension] = columns;
    }
    if (intents) break;
    const bodies = [...parts].sort(([a], [b]) => a - b);
    for (let i = 0; i < bodies.length; i += WRITE_CONCURRENCY) {
      await Promise.all(
        bodies.slice(i, i + WRITE_CONCURRENCY).map(([shard, customers]) =>
          writeOnce(input, sealedPartName(day + 1, shard), {
            format: MARKETPLACE_LEDGER_FORMAT,
            environment: input.environment,
            month,
            day: day + 1,
            shard,
            customers,
          }),
        ),
      );
    }
    file.head.sealedDays = day + 1;
    file.touchHead();
  }
  if ((file.head.sealedDays ?? 0) < sealedDays(file)) {
    // A run killed after its shards and before its head: the head catches up.
    file.head.sealedDays = sealedDays(file);
    file.touchHead();
  }
  const boundary = detailBoundary(file);
  return Object.entries(file.customers)
    .filter(([, customer]) =>
      DIMENSION_KEYS.some((dimension) => {
        const stored = customer[dimension];
        return stored !== undefined && (stored.detailFrom ?? 0) < boundary && detailedBefore(stored, boundary);
      }),
    )
    .map(([customerId]) => customerId);
}

/** Whether stored columns still hold a record with details before `boundary`. */
function detailedBefore(columns: RecordColumns, boundary: number): boolean {
  const from = columns.from ?? 0;
  const detailFrom = columns.detailFrom ?? 0;
  for (let i = Math.max(0, detailFrom - from); i < columns.states.length && from + i < boundary; i++) if (columns.states[i] !== '.') return true;
  return false;
}

async function writeOnce(input: SealInput, part: string, body: SealedPart): Promise<void> {
  try {
    await input.store.write(input.sink, input.month, body, undefined, part);
  } catch (error) {
    if (!(error instanceof LedgerConflictError)) throw error;
    const stored = await input.store.read<SealedPart>(input.sink, input.month, part);
    if (stored === undefined || JSON.stringify(stored.body) !== JSON.stringify(body))
      throw new LedgerConflictError(`${input.store.location(input.sink, input.month, part)} already holds other records of that day; nothing was written`);
  }
}
