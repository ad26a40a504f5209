/**
 * The Marketplace sink's ledger: per (environment, month), for every customer and dimension each
 * record ever sent, one per usage hour, because an hour can be sent once only (docs/marketplace.md):
 * `intent` is written before the call, then the Marketplace's answer replaces it.
 *
 * Stored sharded by customer (../sharded-ledger.ts; the head holds nothing of the sink's own), each
 * customer's records in columns (`StoredDimension`): a month of 10,000 always-active buyers is
 * 14.4 million records, and a record as a JSON object of its own cost about 130 bytes. In memory
 * the sink and the planner work on the plain form (`DimensionLedger`, `MarketplaceLedger`).
 */
import { hourIdOf, hourStart, monthBounds, type HourId } from '../../../sql/hours';
import { ShardedLedger } from '../sharded-ledger';
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

/** State letters of `StoredDimension.states`; '.' is an hour without a record. */
const STATE_LETTERS: Readonly<Record<RecordState, string>> = {
  intent: 'I',
  unconfirmed: 'U',
  success: 'S',
  'customer-not-subscribed': 'N',
  'duplicate-record': 'D',
};
const NO_RECORD = '.';
const STATE_OF = new Map(Object.entries(STATE_LETTERS).map(([state, letter]) => [letter, state as RecordState]));

/** One customer's records of one dimension, in columns; hours are indexes in the month (0 = its first hour). */
export interface StoredDimension {
  readonly name: string;
  readonly identity: RecordIdentity;
  /** One letter per hour from the month's first hour to its last record (STATE_LETTERS, '.' none). */
  readonly states: string;
  /** Per record, in hour order. */
  readonly quantities: readonly number[];
  /** Per record, in hour order: the MeteringRecordId, '' when none. */
  readonly meteringRecordIds: readonly string[];
  /** [hour, late units, the hours they come from]; only records with late units. */
  readonly late?: readonly (readonly [number, number, readonly number[]])[];
  /** Records sent under other buyer ids than `identity`, by hour. */
  readonly identities?: Readonly<Record<string, RecordIdentity>>;
}

/** A customer's value in a ledger shard. */
export type StoredCustomer = Partial<Record<DimensionKey, StoredDimension>>;

export type MarketplaceLedgerFile = ShardedLedger<Record<string, never>, StoredCustomer>;

export const DIMENSION_KEYS: readonly DimensionKey[] = ['requests', 'bytesOut'];

/** A month's ledger (empty when nothing was written); throws one line for a document of another format, environment or month. */
export function readMarketplaceLedger(store: SinkLedgerStore, sink: string, environment: string, month: string): Promise<MarketplaceLedgerFile> {
  return ShardedLedger.read<Record<string, never>, StoredCustomer>({
    store,
    sink,
    environment,
    month,
    format: MARKETPLACE_LEDGER_FORMAT,
    emptyHead: () => ({}),
  });
}

export function sameIdentity(a: RecordIdentity, b: RecordIdentity): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export const entryKey = (customerId: string, dimension: DimensionKey): string => `${customerId} ${dimension}`;

/** Records whose units count as reported: accepted, or sent with the answer unknown (resent identically, never re-planned). */
export function countsAsSent(record: LedgerRecord): boolean {
  return record.state === 'success' || record.state === 'intent' || record.state === 'unconfirmed';
}

const HOUR_MS = 3_600_000;

function monthStartMs(month: string): number {
  return hourStart(monthBounds(month).first).getTime();
}

function hoursInMonth(month: string): number {
  return (hourStart(monthBounds(month).next).getTime() - monthStartMs(month)) / HOUR_MS;
}

/** The stored form of one customer's dimension ledger; throws for a record outside the month. */
export function encodeDimension(entry: DimensionLedger, month: string): StoredDimension {
  const start = monthStartMs(month);
  const hours = hoursInMonth(month);
  const indexed = Object.entries(entry.records)
    .map(([hour, record]) => ({ index: (hourStart(hour).getTime() - start) / HOUR_MS, record }))
    .sort((a, b) => a.index - b.index);
  const outside = indexed.find(({ index }) => !Number.isInteger(index) || index < 0 || index >= hours);
  if (outside !== undefined)
    throw new Error(`marketplace ledger of ${month}: ${entry.customerId} ${entry.dimension} has a record outside the month (hour index ${outside.index})`);
  const states: string[] = [];
  const late: [number, number, number[]][] = [];
  const identities: Record<string, RecordIdentity> = {};
  for (const { index, record } of indexed) {
    while (states.length < index) states.push(NO_RECORD);
    states.push(STATE_LETTERS[record.state]);
    if (record.lateUnits !== undefined) late.push([index, record.lateUnits, (record.lateFrom ?? []).map((h) => (hourStart(h).getTime() - start) / HOUR_MS)]);
    if (record.identity !== undefined) identities[String(index)] = record.identity;
  }
  return {
    name: entry.dimensionName,
    identity: entry.identity,
    states: states.join(''),
    quantities: indexed.map(({ record }) => record.quantity),
    meteringRecordIds: indexed.map(({ record }) => record.meteringRecordId ?? ''),
    ...(late.length > 0 ? { late } : {}),
    ...(Object.keys(identities).length > 0 ? { identities } : {}),
  };
}

/** The plain form of a stored dimension ledger; throws one line naming `where` when the columns disagree. */
export function decodeDimension(stored: StoredDimension, customerId: string, dimension: DimensionKey, month: string, where: string): DimensionLedger {
  const bad = (what: string) => new Error(`${where}: ${customerId} ${dimension} ${what}`);
  if (typeof stored?.states !== 'string' || !Array.isArray(stored.quantities) || !Array.isArray(stored.meteringRecordIds))
    throw bad('is not a stored dimension ledger (states, quantities, meteringRecordIds)');
  if (stored.states.length > hoursInMonth(month)) throw bad(`has ${stored.states.length} hours, more than ${month} has`);
  const start = monthStartMs(month);
  const hourAt = (index: number) => hourIdOf(new Date(start + index * HOUR_MS));
  const late = new Map((stored.late ?? []).map(([index, units, from]) => [index, { lateUnits: units, lateFrom: from.map(hourAt) }]));
  const records: Record<HourId, LedgerRecord> = {};
  let n = 0;
  for (let index = 0; index < stored.states.length; index++) {
    const letter = stored.states[index] as string;
    if (letter === NO_RECORD) continue;
    const state = STATE_OF.get(letter);
    if (state === undefined) throw bad(`has an unknown state letter ${JSON.stringify(letter)} at hour ${index}`);
    const quantity = stored.quantities[n];
    if (typeof quantity !== 'number') throw bad(`has fewer quantities than records`);
    const id = stored.meteringRecordIds[n];
    const identity = stored.identities?.[String(index)];
    records[hourAt(index)] = {
      quantity,
      state,
      ...late.get(index),
      ...(identity !== undefined ? { identity } : {}),
      ...(id !== undefined && id !== '' ? { meteringRecordId: id } : {}),
    };
    n++;
  }
  if (n !== stored.quantities.length || n !== stored.meteringRecordIds.length)
    throw bad(`has ${n} records but ${stored.quantities.length} quantities and ${stored.meteringRecordIds.length} ids`);
  return { customerId, dimension, dimensionName: stored.name, identity: stored.identity, records };
}

/** Every record of a stored month, in the planner's form. */
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

/** Stores a customer's current records in the file and marks its shard changed. */
export function storeCustomer(file: MarketplaceLedgerFile, ledger: MarketplaceLedger, customerId: string, month: string): void {
  const stored: Partial<Record<DimensionKey, StoredDimension>> = {};
  for (const dimension of DIMENSION_KEYS) {
    const entry = ledger.entries[entryKey(customerId, dimension)];
    if (entry !== undefined) stored[dimension] = encodeDimension(entry, month);
  }
  file.customers[customerId] = stored;
  file.touch(customerId);
}

/** A month's records as stored (for tests, reports and audits): read, checked and decoded. */
export async function readMarketplaceRecords(store: SinkLedgerStore, sink: string, environment: string, month: string): Promise<MarketplaceLedger> {
  return decodeLedger(await readMarketplaceLedger(store, sink, environment, month), month);
}
