/**
 * The Marketplace sink's ledger: one document per (environment, month) in the SinkLedgerStore. For
 * every customer and dimension it holds each record ever sent, one per usage hour, because an hour
 * can be sent once only (docs/marketplace.md): `intent` is written before the call, then the
 * Marketplace's answer replaces it.
 */
import type { HourId } from '../../../sql/hours';

export const MARKETPLACE_LEDGER_FORMAT = 1;

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
  /** The buyer ids of its records (each kept small: a month can hold a million records). */
  readonly identity: RecordIdentity;
  readonly records: Readonly<Record<HourId, LedgerRecord>>;
}

export interface MarketplaceLedger {
  readonly format: typeof MARKETPLACE_LEDGER_FORMAT;
  readonly environment: string;
  readonly month: string;
  /** Key: `${customerId} ${dimension}`. */
  readonly entries: Readonly<Record<string, DimensionLedger>>;
}

export function sameIdentity(a: RecordIdentity, b: RecordIdentity): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export const entryKey = (customerId: string, dimension: DimensionKey): string => `${customerId} ${dimension}`;

export function emptyLedger(environment: string, month: string): MarketplaceLedger {
  return { format: MARKETPLACE_LEDGER_FORMAT, environment, month, entries: {} };
}

/** Records whose units count as reported: accepted, or sent with the answer unknown (resent identically, never re-planned). */
export function countsAsSent(record: LedgerRecord): boolean {
  return record.state === 'success' || record.state === 'intent' || record.state === 'unconfirmed';
}

export function checkLedger(body: unknown, location: string, environment: string, month: string): MarketplaceLedger {
  const doc = body as MarketplaceLedger;
  if (doc === null || typeof doc !== 'object' || doc.format !== MARKETPLACE_LEDGER_FORMAT || typeof doc.entries !== 'object') {
    throw new Error(`marketplace ledger ${location} is not format ${MARKETPLACE_LEDGER_FORMAT}; restore a previous version`);
  }
  if (doc.environment !== environment || doc.month !== month) {
    throw new Error(`marketplace ledger ${location} belongs to ${doc.environment} ${doc.month}, not ${environment} ${month}`);
  }
  return doc;
}
