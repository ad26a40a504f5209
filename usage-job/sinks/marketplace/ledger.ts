/**
 * The Marketplace sink's ledger: per (environment, month), for every customer and dimension each
 * record ever sent, one per usage hour, because an hour can be sent once only (docs/marketplace.md):
 * `intent` is written before the call, then the Marketplace's answer replaces it.
 *
 * Stored sharded by customer (../sharded-ledger.ts), each customer's records in columns
 * (`StoredDimension`): a month of 10,000 always-active buyers is 14.4 million records, and a record
 * as a JSON object of its own cost about 130 bytes. Once every hour of a day is closed for the
 * Marketplace its records can never change: the run then seals the day, writing each shard's
 * records of that day whole, once, to a part `sealed-DD-shard-NNN` (`SealedPart`), and keeps in the
 * shard only each record's state and quantity (what planning reads), so an hourly run no longer
 * rewrites every MeteringRecordId of the month. In memory the sink and the planner work on the
 * plain form (`DimensionLedger`, `MarketplaceLedger`).
 */
import { hourIdOf, hourStart, monthBounds, type HourId } from '../../../sql/hours';
import { ShardedLedger, shardName } from '../sharded-ledger';
import type { SinkLedgerStore } from '../sink';

/** 2: sharded by customer, records in columns. A version-1 ledger (one document) is refused, not converted: none was ever deployed. */
export const MARKETPLACE_LEDGER_FORMAT = 'marketplace-ledger/2';

export type DimensionKey = 'requests' | 'bytesOut';

/**
 * How a record stands: `intent` (written, answer unknown, resent identically while its hour is open);
 * `unconfirmed` (an intent whose hour closed before an answer came: counted as sent, never resent);
 * or the Marketplace's status for it.
 */
export type RecordState = 'intent' | 'unconfirmed' | 'success' | 'customer-not-subscribed' | 'duplicate-record';

export interface LedgerRecord {
  /** Whole units of the dimension (the UsageRecord's Quantity). */
  readonly quantity: number;
  readonly state: RecordState;
  /** Units of earlier hours folded in (usage restated after its hour was sent, or of hours whose window closed unsent); absent when none. The rest is the hour's own usage. */
  readonly lateUnits?: number;
  /** The earlier hours whose units `lateUnits` carries. */
  readonly lateFrom?: readonly HourId[];
  /** Only when it differs from the entry's identity (the buyer's ids changed during the month); a resend always uses the identity the record was planned with. */
  readonly identity?: RecordIdentity;
  readonly meteringRecordId?: string;
}

export type RecordIdentity =
  { readonly customerAwsAccountId: string; readonly licenseArn: string } | { readonly customerIdentifier: string; readonly productCode: string };

export interface DimensionLedger {
  readonly customerId: string;
  readonly dimension: DimensionKey;
  /** The listing's dimension name the records were sent under. */
  readonly dimensionName: string;
  /** The buyer ids of its records. */
  readonly identity: RecordIdentity;
  readonly records: Readonly<Record<HourId, LedgerRecord>>;
}

/** A month's records as the planner reads them. Key: `${customerId} ${dimension}`. */
export interface MarketplaceLedger {
  readonly entries: Readonly<Record<string, DimensionLedger>>;
}

/** State letters of `RecordColumns.states`; '.' is an hour without a record. */
const STATE_LETTERS: Readonly<Record<RecordState, string>> = {
  intent: 'I',
  unconfirmed: 'U',
  success: 'S',
  'customer-not-subscribed': 'N',
  'duplicate-record': 'D',
};
const NO_RECORD = '.';
const STATE_OF = new Map(Object.entries(STATE_LETTERS).map(([state, letter]) => [letter, state as RecordState]));

/** Records of one customer and dimension in columns; hours are indexes in the month (0 = its first hour). */
export interface RecordColumns {
  /** The hour of `states[0]` (absent: 0). */
  readonly from?: number;
  /** One letter per hour from `from` to the last record (STATE_LETTERS, '.' none). */
  readonly states: string;
  /** Per record, in hour order. */
  readonly quantities: readonly number[];
  /** Records before this hour keep their MeteringRecordId and late units in the month's sealed parts (absent: 0). */
  readonly detailFrom?: number;
  /** Per record from `detailFrom` on, in hour order: the MeteringRecordId, '' when none. */
  readonly meteringRecordIds: readonly string[];
  /** [hour, late units, the hours they come from] of the records from `detailFrom` on that have late units. */
  readonly late?: readonly (readonly [number, number, readonly number[]])[];
  /** Records sent under other buyer ids than the dimension's, by hour. */
  readonly identities?: Readonly<Record<string, RecordIdentity>>;
}

export interface StoredDimension extends RecordColumns {
  readonly name: string;
  readonly identity: RecordIdentity;
}

/** A customer's value in a ledger shard. */
export type StoredCustomer = Partial<Record<DimensionKey, StoredDimension>>;

export interface MarketplaceLedgerHead {
  /** Days of the month (from its first) whose records are sealed: written whole to their sealed parts. */
  sealedDays?: number;
}

/** One shard's records of one sealed day, every field: written once, never changed. */
export interface SealedPart {
  readonly format: string;
  readonly environment: string;
  readonly month: string;
  /** Day of the month, from 1. */
  readonly day: number;
  readonly shard: number;
  readonly customers: Readonly<Record<string, Partial<Record<DimensionKey, RecordColumns>>>>;
}

export type MarketplaceLedgerFile = ShardedLedger<MarketplaceLedgerHead, StoredCustomer>;

export const DIMENSION_KEYS: readonly DimensionKey[] = ['requests', 'bytesOut'];

/** A month's ledger (empty when nothing was written); throws one line for a document of another format, environment or month. */
export function readMarketplaceLedger(store: SinkLedgerStore, sink: string, environment: string, month: string): Promise<MarketplaceLedgerFile> {
  return ShardedLedger.read<MarketplaceLedgerHead, StoredCustomer>({
    store,
    sink,
    environment,
    month,
    format: MARKETPLACE_LEDGER_FORMAT,
    emptyHead: () => ({}),
  });
}

export const sealedPartName = (day: number, shard: number): string => `sealed-${String(day).padStart(2, '0')}-${shardName(shard)}`;

export function sameIdentity(a: RecordIdentity, b: RecordIdentity): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export const entryKey = (customerId: string, dimension: DimensionKey): string => `${customerId} ${dimension}`;

/** Records whose units count as reported: accepted, or sent with the answer unknown (resent identically, never re-planned). */
export function countsAsSent(record: LedgerRecord): boolean {
  return record.state === 'success' || record.state === 'intent' || record.state === 'unconfirmed';
}

const HOUR_MS = 3_600_000;

/** Per month: its first hour's start and its hour ids (cached: every record of a run is converted). */
const months = new Map<string, { start: number; ids: HourId[]; index: Map<HourId, number> }>();
function monthHours(month: string): { start: number; ids: HourId[]; index: Map<HourId, number> } {
  let hours = months.get(month);
  if (hours === undefined) {
    const { first, next } = monthBounds(month);
    const start = hourStart(first).getTime();
    const ids = Array.from({ length: (hourStart(next).getTime() - start) / HOUR_MS }, (_, i) => hourIdOf(new Date(start + i * HOUR_MS)));
    months.set(month, (hours = { start, ids, index: new Map(ids.map((id, i) => [id, i])) }));
  }
  return hours;
}

export function hoursInMonth(month: string): number {
  return monthHours(month).ids.length;
}

/** The month's hour index of an hour (0 = its first hour; outside the month, negative or past its last). */
export function hourIndexIn(month: string, hour: HourId): number {
  const hours = monthHours(month);
  return hours.index.get(hour) ?? (hourStart(hour).getTime() - hours.start) / HOUR_MS;
}

function hourAt(month: string, index: number): HourId {
  const hours = monthHours(month);
  return hours.ids[index] ?? hourIdOf(new Date(hours.start + index * HOUR_MS));
}

/**
 * The records of hours `from` to `to` (exclusive) in columns, with MeteringRecordIds and late units
 * only from `detailFrom` on; throws for a record outside the month.
 */
export function encodeRecords(
  entry: DimensionLedger,
  month: string,
  range: { readonly from?: number; readonly to?: number; readonly detailFrom?: number } = {},
): RecordColumns {
  const from = range.from ?? 0;
  const to = range.to ?? hoursInMonth(month);
  const detailFrom = Math.max(from, range.detailFrom ?? 0);
  const hours = hoursInMonth(month);
  const all = Object.entries(entry.records).map(([hour, record]) => ({ index: hourIndexIn(month, hour), record }));
  const outside = all.find(({ index }) => !Number.isInteger(index) || index < 0 || index >= hours);
  if (outside !== undefined)
    throw new Error(`marketplace ledger of ${month}: ${entry.customerId} ${entry.dimension} has a record outside the month (hour index ${outside.index})`);
  const indexed = all.filter(({ index }) => index >= from && index < to).sort((a, b) => a.index - b.index);
  const states: string[] = [];
  const ids: string[] = [];
  const late: [number, number, number[]][] = [];
  const identities: Record<string, RecordIdentity> = {};
  for (const { index, record } of indexed) {
    while (states.length < index - from) states.push(NO_RECORD);
    states.push(STATE_LETTERS[record.state]);
    if (record.identity !== undefined) identities[String(index)] = record.identity;
    if (index < detailFrom) continue;
    ids.push(record.meteringRecordId ?? '');
    if (record.lateUnits !== undefined) late.push([index, record.lateUnits, (record.lateFrom ?? []).map((h) => hourIndexIn(month, h))]);
  }
  return {
    ...(from > 0 ? { from } : {}),
    states: states.join(''),
    quantities: indexed.map(({ record }) => record.quantity),
    ...(detailFrom > 0 ? { detailFrom } : {}),
    meteringRecordIds: ids,
    ...(late.length > 0 ? { late } : {}),
    ...(Object.keys(identities).length > 0 ? { identities } : {}),
  };
}

/** The stored form of one customer's dimension ledger, details of records before `detailFrom` left to the sealed parts. */
export function encodeDimension(entry: DimensionLedger, month: string, detailFrom = 0): StoredDimension {
  return { name: entry.dimensionName, identity: entry.identity, ...encodeRecords(entry, month, { detailFrom }) };
}

/** The records of columns (before `detailFrom` without MeteringRecordId and late units); throws one line naming `where` when the columns disagree. */
export function decodeRecords(columns: RecordColumns, month: string, where: string): Record<HourId, LedgerRecord> {
  const bad = (what: string) => new Error(`${where} ${what}`);
  if (typeof columns?.states !== 'string' || !Array.isArray(columns.quantities) || !Array.isArray(columns.meteringRecordIds))
    throw bad('is not a stored record list (states, quantities, meteringRecordIds)');
  const from = columns.from ?? 0;
  const detailFrom = columns.detailFrom ?? 0;
  if (!Number.isInteger(from) || from < 0 || from + columns.states.length > hoursInMonth(month))
    throw bad(`has hours ${from} to ${from + columns.states.length - 1}, outside ${month}`);
  const late = new Map((columns.late ?? []).map(([index, units, lateFrom]) => [index, { lateUnits: units, lateFrom: lateFrom.map((i) => hourAt(month, i)) }]));
  const records: Record<HourId, LedgerRecord> = {};
  let n = 0;
  let detailed = 0;
  for (let i = 0; i < columns.states.length; i++) {
    const letter = columns.states[i] as string;
    if (letter === NO_RECORD) continue;
    const index = from + i;
    const state = STATE_OF.get(letter);
    if (state === undefined) throw bad(`has an unknown state letter ${JSON.stringify(letter)} at hour ${index}`);
    const quantity = columns.quantities[n++];
    if (typeof quantity !== 'number') throw bad('has fewer quantities than records');
    const identity = columns.identities?.[String(index)];
    const id = index >= detailFrom ? columns.meteringRecordIds[detailed++] : undefined;
    records[hourAt(month, index)] = {
      quantity,
      state,
      ...(index >= detailFrom ? late.get(index) : undefined),
      ...(identity !== undefined ? { identity } : {}),
      ...(id !== undefined && id !== '' ? { meteringRecordId: id } : {}),
    };
  }
  if (n !== columns.quantities.length || detailed !== columns.meteringRecordIds.length)
    throw bad(`has ${n} records (${detailed} with details) but ${columns.quantities.length} quantities and ${columns.meteringRecordIds.length} ids`);
  return records;
}

export function decodeDimension(stored: StoredDimension, customerId: string, dimension: DimensionKey, month: string, where: string): DimensionLedger {
  const records = decodeRecords(stored, month, `${where}: ${customerId} ${dimension}`);
  return { customerId, dimension, dimensionName: stored.name, identity: stored.identity, records };
}

/** Every record of a stored month, in the planner's form (records of sealed days without their details). */
export function decodeLedger(file: MarketplaceLedgerFile, month: string): MarketplaceLedger {
  const entries: Record<string, DimensionLedger> = {};
  for (const [customerId, customer] of Object.entries(file.customers)) {
    for (const dimension of DIMENSION_KEYS) {
      const stored = customer[dimension];
      if (stored !== undefined) entries[entryKey(customerId, dimension)] = decodeDimension(stored, customerId, dimension, month, file.location());
    }
  }
  return { entries };
}

/**
 * Days whose sealed parts are all written. The head says so after the shards are written (the
 * sharded ledger writes an existing head last), so a kill in between leaves shards whose
 * `detailFrom` is ahead of the head: a customer's `detailFrom` moves on only after every part of
 * those days was written, so it counts too.
 */
export function sealedDays(file: MarketplaceLedgerFile): number {
  let days = file.head.sealedDays ?? 0;
  for (const customer of Object.values(file.customers))
    for (const dimension of DIMENSION_KEYS) days = Math.max(days, Math.floor((customer[dimension]?.detailFrom ?? 0) / 24));
  return days;
}

/** The first hour whose records keep their details in the shards: the first after the sealed days. */
export function detailBoundary(file: MarketplaceLedgerFile): number {
  return sealedDays(file) * 24;
}

/** Stores a customer's current records in the file and marks its shard changed. */
export function storeCustomer(file: MarketplaceLedgerFile, ledger: MarketplaceLedger, customerId: string, month: string): void {
  const stored: Partial<Record<DimensionKey, StoredDimension>> = {};
  for (const dimension of DIMENSION_KEYS) {
    const entry = ledger.entries[entryKey(customerId, dimension)];
    if (entry !== undefined) stored[dimension] = encodeDimension(entry, month, detailBoundary(file));
  }
  file.customers[customerId] = stored;
  file.touch(customerId);
}

/**
 * A month's records as stored, every field (for tests, reports and audits): the shards, and the
 * MeteringRecordIds and late units of sealed days from their parts.
 */
export async function readMarketplaceRecords(store: SinkLedgerStore, sink: string, environment: string, month: string): Promise<MarketplaceLedger> {
  const file = await readMarketplaceLedger(store, sink, environment, month);
  const ledger = decodeLedger(file, month);
  for (let day = 1; day <= sealedDays(file); day++) {
    for (let shard = 0; shard < file.shards; shard++) {
      const part = await store.read<SealedPart>(sink, month, sealedPartName(day, shard));
      if (part === undefined) continue;
      const where = store.location(sink, month, sealedPartName(day, shard));
      if (part.body.format !== MARKETPLACE_LEDGER_FORMAT || part.body.day !== day || part.body.shard !== shard)
        throw new Error(`${where} is not the sealed part of day ${day}, shard ${shard} of format ${MARKETPLACE_LEDGER_FORMAT}`);
      for (const [customerId, customer] of Object.entries(part.body.customers)) {
        for (const dimension of DIMENSION_KEYS) {
          const columns = customer[dimension];
          const entry = ledger.entries[entryKey(customerId, dimension)];
          if (columns === undefined) continue;
          if (entry === undefined) throw new Error(`${where} holds ${customerId} ${dimension}, which the month's shards do not`);
          Object.assign(entry.records, decodeRecords(columns, month, `${where}: ${customerId} ${dimension}`));
        }
      }
    }
  }
  return ledger;
}
