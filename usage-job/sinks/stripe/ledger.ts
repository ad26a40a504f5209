/**
 * The Stripe sink's ledger: per (environment, month), per customer and meter, what Stripe has
 * acknowledged for each usage hour, and every event written down before it is sent (docs/stripe.md).
 * Stored sharded by customer (../sharded-ledger.ts): the head holds the month-wide fields.
 *
 * States of one (customer, meter, hour):
 *   - `sent[h]`: the sum of the deltas Stripe acknowledged (carried corrections included);
 *   - a `pending` event: intent written before the send, removed once Stripe acknowledged it
 *     (its value then added to `sent[h]`) or refused it (400);
 *   - `carried`: acknowledged deltas sent with a timestamp in a later billing period because this
 *     month's invoice may already be final (the invoice line can say so).
 * Per hour arrays (index 0 = the month's first hour) keep the documents small: a month of 10,000
 * customers with usage in every hour is about 2 × 7.2 million numbers.
 */
import { createHash } from 'node:crypto';
import { hourIdOf, hourStart, monthBounds, type HourId } from '../../../sql/hours';
import { ShardedLedger } from '../sharded-ledger';
import type { SinkLedgerStore } from '../sink';

/** 2: sharded by customer. A version-1 ledger (one document) is refused, not converted: none was ever deployed. */
export const STRIPE_LEDGER_FORMAT = 'stripe-meter-ledger/2';

export const METERS = ['requests', 'bytesOut'] as const;
export type MeterKey = (typeof METERS)[number];

export interface PendingEvent {
  readonly hour: HourId;
  readonly revision: number;
  /** The delta: new total minus what Stripe acknowledged. */
  readonly value: number;
  /** Unix seconds, as sent (the usage hour's start, or a time in the open period when carried). */
  readonly timestamp: number;
  /** When the first send was attempted (ISO): Stripe forgets identifiers some time after 24 hours. */
  readonly firstSentAt: string;
  readonly carried: boolean;
}

export interface CarriedCorrection {
  readonly hour: HourId;
  readonly revision: number;
  readonly value: number;
  readonly timestamp: number;
}

export interface MeterLedger {
  sent: number[];
  /** Per hour: the last revision used (each revision is its own identifier, never reused). */
  revisions: number[];
  pending: PendingEvent[];
  carried: CarriedCorrection[];
  /** When Stripe last acknowledged an event of this meter (ISO): summaries lag behind (async processing). */
  lastSentAt?: string;
}

export interface CustomerLedger {
  /** The Stripe customer every event of this month went to. */
  readonly stripeCustomerId: string;
  readonly meters: Record<MeterKey, MeterLedger>;
}

/** The month-wide fields, in the ledger's head. */
export interface StripeLedgerHead {
  /** When the sink last compared this month with Stripe's event summaries (ISO; reconcile.ts, once a UTC day). */
  lastReconciledAt?: string;
  /** The earliest hour the last reconciliation left out (sent in the same run) or found differing: the next one reaches back to it. */
  reconcileBackTo?: HourId;
  /** Per customer, corrections of this month acknowledged in a later period (what the next month's invoice line says): carriedTotals(). */
  carried?: Record<string, Record<MeterKey, number>>;
}

/** A month's customers as the sink, the reconciliation and the invoice lines read them. */
export interface StripeLedger {
  readonly month: string;
  readonly customers: Record<string, CustomerLedger>;
}

export type StripeLedgerFile = ShardedLedger<StripeLedgerHead, CustomerLedger>;

const spec = (store: SinkLedgerStore, sink: string, environment: string, month: string) => ({
  store,
  sink,
  environment,
  month,
  format: STRIPE_LEDGER_FORMAT,
  emptyHead: (): StripeLedgerHead => ({}),
});

/** A month's ledger (empty when nothing was written); throws one line for a document of another format, environment or month. */
export function readStripeLedger(store: SinkLedgerStore, sink: string, environment: string, month: string): Promise<StripeLedgerFile> {
  return ShardedLedger.read<StripeLedgerHead, CustomerLedger>(spec(store, sink, environment, month));
}

/** Only a month's head (no customers): what the next month needs for its invoice lines. */
export function readStripeLedgerHead(store: SinkLedgerStore, sink: string, environment: string, month: string): Promise<StripeLedgerHead | undefined> {
  return ShardedLedger.readHead(spec(store, sink, environment, month));
}

export function emptyMeterLedger(): MeterLedger {
  return { sent: [], revisions: [], pending: [], carried: [] };
}

/** The hours of a month, index 0 = its first hour; cached (hour arithmetic is the sink's hottest path). */
class MonthHours {
  readonly ids: HourId[] = [];
  private readonly index = new Map<HourId, number>();
  constructor(readonly month: string) {
    const { first, next } = monthBounds(month);
    for (let t = hourStart(first).getTime(), end = hourStart(next).getTime(); t < end; t += 3_600_000) {
      this.index.set(hourIdOf(new Date(t)), this.ids.length);
      this.ids.push(hourIdOf(new Date(t)));
    }
  }
  indexOf(hour: HourId): number {
    const index = this.index.get(hour);
    if (index === undefined) throw new Error(`hour ${hour} is not an hour of ${this.month}`);
    return index;
  }
}

const monthHoursCache = new Map<string, MonthHours>();
function monthHours(month: string): MonthHours {
  let hours = monthHoursCache.get(month);
  if (hours === undefined) monthHoursCache.set(month, (hours = new MonthHours(month)));
  return hours;
}

/** Index of an hour of the month (0 = its first hour); throws for an hour outside it. */
export function hourIndex(month: string, hour: HourId): number {
  return monthHours(month).indexOf(hour);
}

/** The hour at an index of the month; indexes outside it (e.g. -1) give hours of the neighbouring months. */
export function hourAt(month: string, index: number): HourId {
  const hours = monthHours(month);
  return hours.ids[index] ?? hourIdOf(new Date(hourStart(hours.ids[0]).getTime() + index * 3_600_000));
}

export function valueAt(values: readonly number[], index: number): number {
  return values[index] ?? 0;
}

export function setAt(values: number[], index: number, value: number): void {
  while (values.length <= index) values.push(0);
  values[index] = value;
  while (values.length > 0 && values[values.length - 1] === 0) values.pop();
}

/** Deterministic per (environment, customer, meter, hour, revision); at most 100 characters (Stripe's limit). */
export function eventIdentifier(environment: string, customerId: string, eventName: string, hour: HourId, revision: number): string {
  const digest = createHash('sha256').update(`${environment}\n${customerId}\n${eventName}`).digest('hex').slice(0, 32);
  return `usage-${hour}-r${revision}-${digest}`;
}

/** Acknowledged amounts by where they landed in Stripe: timestamp hour (unix seconds of its start) → sum. */
export function landedAmounts(month: string, meter: MeterLedger): Map<number, number> {
  const landed = new Map<number, number>();
  const add = (timestamp: number, value: number) => {
    const start = Math.floor(timestamp / 3600) * 3600;
    landed.set(start, (landed.get(start) ?? 0) + value);
  };
  const carriedByHour = new Map<number, number>();
  for (const c of meter.carried) carriedByHour.set(hourIndex(month, c.hour), (carriedByHour.get(hourIndex(month, c.hour)) ?? 0) + c.value);
  meter.sent.forEach((total, index) => {
    const inPeriod = total - (carriedByHour.get(index) ?? 0);
    if (inPeriod !== 0) add(hourStart(hourAt(month, index)).getTime() / 1000, inPeriod);
  });
  for (const c of meter.carried) add(c.timestamp, c.value);
  return landed;
}

/** The corrections carried out of a month, per customer: what an invoice line says was billed in a later period. */
export function carriedTotals(customers: Readonly<Record<string, CustomerLedger>>): Record<string, Record<MeterKey, number>> {
  const out: Record<string, Record<MeterKey, number>> = {};
  for (const [customerId, customer] of Object.entries(customers)) {
    const totals = { requests: 0, bytesOut: 0 };
    for (const meter of METERS) totals[meter] = customer.meters[meter].carried.reduce((sum, c) => sum + c.value, 0);
    if (totals.requests !== 0 || totals.bytesOut !== 0) out[customerId] = totals;
  }
  return out;
}
