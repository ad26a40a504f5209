/**
 * What the Marketplace sink sends in a run, from the month's complete current figures and the
 * ledger. Pure: no clock, no calls.
 *
 * An hour is sent once: the Marketplace refuses a second record of the same customer, dimension and
 * time with another quantity (DuplicateRecord), and refuses records older than the acceptance
 * window. So per customer and dimension the sink walks the month's hours and keeps one balance:
 * units owed through the hour (the cumulative figure in whole units, floored) less units already
 * sent. At each open hour without a record it sends the balance if positive; usage restated after
 * its hour was sent, or of an hour whose window closed unsent, so lands in the next open hour, and
 * the record says how many of its units are late and from which hours. Flooring the cumulative
 * figure carries every remainder forward: nothing is billed twice, and less than one unit per
 * customer, dimension and month is never billed.
 */
import { addHours, hourIdOf, hourStart, monthBounds, type HourId } from '../../../sql/hours';
import type { CustomerHourFigures, SinkCustomer, SinkProblem } from '../sink';
import { billingChannel } from '../../../keys/registry';
import type { ResolvedMarketplaceConfig } from '../../../config/marketplace-sink';
import { countsAsSent, entryKey, sameIdentity, type DimensionKey, type LedgerRecord, type MarketplaceLedger, type RecordIdentity } from './ledger';

const HOUR_MS = 3_600_000;
/** New records go to hours still open an hour later, when the next hourly run would resend them after a crash. */
export const RESEND_RESERVE_HOURS = 1;
type DimensionLedgerOf = NonNullable<MarketplaceLedger['entries'][string]>;
export const DIMENSIONS: readonly DimensionKey[] = ['requests', 'bytesOut'];
/** UsageRecord Quantity: an integer from 0 to 2147483647 (botocore 1.35.99 service model, shape UsageQuantity); more carries to the next open hour. */
export const MAX_QUANTITY = 2_147_483_647;

export interface PlannedRecord {
  readonly customerId: string;
  readonly dimension: DimensionKey;
  readonly dimensionName: string;
  readonly hour: HourId;
  /** The ids the record is sent with. */
  readonly identity: RecordIdentity;
  readonly record: LedgerRecord;
}

export interface Plan {
  /** New records to write as intents, then send. */
  readonly records: readonly PlannedRecord[];
  /** Intents of earlier runs whose hour is still open: resent identically. */
  readonly resends: readonly PlannedRecord[];
  /** Intents whose hour closed without an answer: become `unconfirmed` (counted as sent). */
  readonly expired: readonly PlannedRecord[];
  readonly problems: readonly SinkProblem[];
  /** (customer, hour) figures whose units were all reported before this run. */
  readonly unchanged: number;
}

/**
 * Hours whose records the Marketplace still accepts when sent at `now` and that are ready to send.
 * `reserveHours`: only hours that stay open that much longer (new records go only where the next
 * hourly run can still resend them identically after a crash).
 */
export function openHours(config: ResolvedMarketplaceConfig, month: string, now: Date, reserveHours = 0): { first: HourId; last: HourId } | undefined {
  const { first: monthFirst, next } = monthBounds(month);
  const earliest = firstOpenHourMs(config, now, reserveHours);
  const latest = Math.floor((now.getTime() - config.readyAfterHours * HOUR_MS) / HOUR_MS) * HOUR_MS;
  const first = Math.max(earliest, hourStart(monthFirst).getTime());
  const last = Math.min(latest, hourStart(addHours(next, -1)).getTime());
  return first <= last ? { first: hourIdOf(new Date(first)), last: hourIdOf(new Date(last)) } : undefined;
}

/** The start (ms) of the oldest hour the Marketplace still accepts at `now` (less `reserveHours`); every earlier hour is closed for good. */
export function firstOpenHourMs(config: ResolvedMarketplaceConfig, now: Date, reserveHours = 0): number {
  return Math.ceil((now.getTime() - (config.acceptanceWindowHours - reserveHours) * HOUR_MS + config.safetyMarginMinutes * 60_000) / HOUR_MS) * HOUR_MS;
}

export function isOpen(open: { first: HourId; last: HourId } | undefined, hour: HourId): boolean {
  return open !== undefined && hour >= open.first && hour <= open.last;
}

/** The identity a customer's records carry in this mode; a string when its ids are incomplete; undefined when it has none (not a Marketplace customer). */
export function identityOf(customer: SinkCustomer, config: ResolvedMarketplaceConfig): RecordIdentity | string | undefined {
  const b = customer.billing;
  if (config.identity === 'license') {
    const account = b.marketplaceCustomerAwsAccountId;
    const license = b.marketplaceLicenseArn;
    if (account === undefined && license === undefined)
      return b.marketplaceCustomerIdentifier !== undefined
        ? 'has only a CustomerIdentifier; this listing meters by CustomerAWSAccountId and LicenseArn (keys link-marketplace)'
        : undefined;
    if (account === undefined || license === undefined) return 'needs both marketplaceCustomerAwsAccountId and marketplaceLicenseArn (keys link-marketplace)';
    return { customerAwsAccountId: account, licenseArn: license };
  }
  const id = b.marketplaceCustomerIdentifier;
  if (id === undefined)
    return b.marketplaceCustomerAwsAccountId !== undefined
      ? 'has no marketplaceCustomerIdentifier; this listing meters by CustomerIdentifier and ProductCode (keys link-marketplace)'
      : undefined;
  return { customerIdentifier: id, productCode: config.productCode };
}

/**
 * identityOf, plus the one-channel rule: a Stripe customer is not this sink's (undefined: no problem);
 * a customer with no billing id, or with both, is a problem here too, so finance hears of it.
 */
function ownIdentity(customer: SinkCustomer, config: ResolvedMarketplaceConfig): RecordIdentity | string | undefined {
  const channel = billingChannel(customer.billing);
  if (channel === 'stripe') return undefined;
  if (channel === 'none') return 'has no billing id in the key registry (keys link-marketplace, or keys set-billing for Stripe)';
  if (channel === 'both')
    return 'has both a stripeCustomerId and AWS Marketplace ids; a customer has one billing channel (keys set-billing --clear-stripe-customer)';
  return identityOf(customer, config);
}

function rawFigure(f: CustomerHourFigures, dimension: DimensionKey): number {
  return dimension === 'requests' ? f.requests : f.bytesOut;
}

function perUnit(config: ResolvedMarketplaceConfig, dimension: DimensionKey): number {
  return dimension === 'requests' ? config.dimensions.requests.requestsPerUnit : config.dimensions.bytesOut.bytesPerUnit;
}

export function dimensionName(config: ResolvedMarketplaceConfig, dimension: DimensionKey): string {
  return dimension === 'requests' ? config.dimensions.requests.name : config.dimensions.bytesOut.name;
}

/** Units owed through each hour (cumulative, floored), for the hours with figures, ascending. */
export function unitsThrough(figures: readonly CustomerHourFigures[], dimension: DimensionKey, unit: number): Map<HourId, number> {
  const out = new Map<HourId, number>();
  let cumulative = 0;
  for (const f of [...figures].sort((a, b) => (a.hour < b.hour ? -1 : a.hour > b.hour ? 1 : 0))) {
    cumulative += rawFigure(f, dimension);
    out.set(f.hour, Math.floor(cumulative / unit));
  }
  return out;
}

/** Units owed by earlier hours and not yet sent, oldest first. */
class UnpaidHours {
  private readonly queue: { hour: HourId; units: number }[] = [];
  add(hour: HourId, units: number): void {
    this.queue.push({ hour, units });
  }
  /** Pays `units` from the oldest hours; returns the hours paid from. */
  pay(units: number): HourId[] {
    const from: HourId[] = [];
    while (units > 0 && this.queue.length > 0) {
      const head = this.queue[0] as { hour: HourId; units: number };
      const take = Math.min(units, head.units);
      if (!from.includes(head.hour)) from.push(head.hour);
      head.units -= take;
      units -= take;
      if (head.units === 0) this.queue.shift();
    }
    return from;
  }
}

/**
 * Per walked hour, the most units new records before it may add: for every later hour that already
 * has a record, its owed units through it less the units sent through it. Without this cap an open
 * hour before a recorded one, given late units now, would lift the units sent through that later
 * hour above the units owed through it (whole units are floored from the cumulative figure): billing
 * ahead of the usage, and with bytes one remainder twice.
 */
function headroomBefore(walk: readonly HourId[], owed: ReadonlyMap<HourId, number>, sent: Readonly<Record<string, LedgerRecord>>): number[] {
  const slack: number[] = [];
  let owedThrough = 0;
  let sentThrough = 0;
  for (const hour of walk) {
    owedThrough = owed.get(hour) ?? owedThrough;
    const record = sent[hour];
    if (record !== undefined && countsAsSent(record)) sentThrough += record.quantity;
    slack.push(record === undefined ? Infinity : owedThrough - sentThrough);
  }
  const headroom = new Array<number>(walk.length);
  let least = Infinity;
  for (let i = walk.length - 1; i >= 0; i--) {
    headroom[i] = least;
    least = Math.min(least, slack[i] as number);
  }
  return headroom;
}

export interface PlanInput {
  readonly config: ResolvedMarketplaceConfig;
  readonly month: string;
  readonly now: Date;
  readonly hours: readonly CustomerHourFigures[];
  readonly customers: readonly SinkCustomer[];
  readonly ledger: MarketplaceLedger;
}

export function planRun(input: PlanInput): Plan {
  const { config, ledger, now } = input;
  const open = openHours(config, input.month, now);
  const usable = openHours(config, input.month, now, RESEND_RESERVE_HOURS);
  const records: PlannedRecord[] = [];
  const resends: PlannedRecord[] = [];
  const expired: PlannedRecord[] = [];
  const problems: SinkProblem[] = [];
  let unchanged = 0;
  const byCustomer = new Map<string, CustomerHourFigures[]>();
  for (const f of input.hours) {
    const list = byCustomer.get(f.customerId);
    if (list === undefined) byCustomer.set(f.customerId, [f]);
    else list.push(f);
  }
  const customerIds = new Set([...byCustomer.keys(), ...Object.values(ledger.entries).map((e) => e.customerId)]);
  const customers = new Map(input.customers.map((c) => [c.id, c]));
  // Every hour of the month has been ready and none is open any more: nothing more of it can be sent.
  const monthLast = addHours(monthBounds(input.month).next, -1);
  const monthClosed = open === undefined && now.getTime() >= hourStart(monthLast).getTime() + config.readyAfterHours * HOUR_MS;

  for (const customerId of [...customerIds].sort()) {
    const figures = byCustomer.get(customerId) ?? [];
    const customer = customers.get(customerId);
    const identity = customer === undefined ? 'is not in the registry any more' : ownIdentity(customer, config);
    const covered = new Map<HourId, number>();
    for (const dimension of DIMENSIONS) {
      const entry = ledger.entries[entryKey(customerId, dimension)];
      const sent = entry?.records ?? {};
      // Earlier intents first: resent as they were while open, else counted as sent without an answer.
      for (const [hour, record] of Object.entries(sent)) {
        if (record.state !== 'intent') continue;
        const planned = {
          customerId,
          dimension,
          dimensionName: entry?.dimensionName ?? dimensionName(config, dimension),
          hour,
          identity: record.identity ?? (entry as DimensionLedgerOf).identity,
          record,
        };
        if (isOpen(open, hour) || (open !== undefined && hour > open.last)) resends.push(planned);
        else expired.push(planned);
      }
      if (typeof identity !== 'object') continue;
      const owed = unitsThrough(figures, dimension, perUnit(config, dimension));
      const sentBefore = Object.values(sent)
        .filter(countsAsSent)
        .reduce((sum, r) => sum + r.quantity, 0);
      for (const [hour, units] of owed) if (units <= sentBefore) covered.set(hour, (covered.get(hour) ?? 0) + 1);
      const walkHours = new Set<HourId>([...owed.keys(), ...Object.keys(sent)]);
      if (usable !== undefined) for (let h = usable.first; h <= usable.last; h = addHours(h, 1)) walkHours.add(h);
      const walk = [...walkHours].sort();
      const headroom = headroomBefore(walk, owed, sent);
      let owedSoFar = 0;
      let sentSoFar = 0;
      let plannedSoFar = 0;
      // Which earlier hours the balance comes from (first in, first paid): only for the ledger's lateFrom.
      const unpaid = new UnpaidHours();
      for (const [i, hour] of walk.entries()) {
        const ownUnits = (owed.get(hour) ?? owedSoFar) - owedSoFar;
        owedSoFar = owed.get(hour) ?? owedSoFar;
        const existing = sent[hour];
        const allowed = Math.min(owedSoFar - sentSoFar, (headroom[i] as number) - plannedSoFar, MAX_QUANTITY);
        if (existing !== undefined) {
          const paid = countsAsSent(existing) ? existing.quantity : 0;
          sentSoFar += paid;
          unpaid.pay(paid - Math.min(paid, ownUnits));
          if (ownUnits > paid) unpaid.add(hour, ownUnits - paid);
        } else if (isOpen(usable, hour) && allowed > 0) {
          const quantity = allowed;
          const late = quantity - Math.min(quantity, ownUnits);
          const lateFrom = unpaid.pay(late);
          if (ownUnits > quantity) unpaid.add(hour, ownUnits - quantity);
          records.push({
            customerId,
            dimension,
            dimensionName: dimensionName(config, dimension),
            hour,
            identity,
            record: {
              quantity,
              state: 'intent',
              ...(late > 0 ? { lateUnits: late, lateFrom } : {}),
              ...(entry !== undefined && !sameIdentity(entry.identity, identity) ? { identity } : {}),
            },
          });
          sentSoFar += quantity;
          plannedSoFar += quantity;
        } else if (ownUnits > 0) {
          unpaid.add(hour, ownUnits);
        }
      }
      if (owedSoFar > sentSoFar && monthClosed) {
        problems.push({
          customerId,
          message: `${dimension}: ${owedSoFar - sentSoFar} units of ${input.month} arrived after the month's last hour closed for AWS Marketplace (records are refused once past the acceptance window); they were not reported: bill them by hand`,
        });
      }
      if (owedSoFar < sentSoFar) {
        problems.push({
          customerId,
          message: `${dimension}: ${sentSoFar - owedSoFar} units more were reported to AWS Marketplace than the figures now hold (usage restated downwards); BatchMeterUsage cannot take units back, so later usage this month is netted against them, and what remains needs a refund`,
        });
      }
    }
    if (typeof identity === 'string' && figures.length > 0) {
      problems.push({ customerId, message: `customer ${customerId} ${identity}: its usage was not reported to AWS Marketplace` });
    }
    for (const f of figures) if ((covered.get(f.hour) ?? 0) === DIMENSIONS.length) unchanged++;
  }
  for (const e of expired) {
    problems.push({
      customerId: e.customerId,
      hour: e.hour,
      message: `${e.dimension} record of ${e.customerId} for ${e.hour} (${e.record.quantity} units) was sent but never answered, and its hour is past AWS Marketplace's acceptance window: counted as reported; check the Marketplace's metering report`,
    });
  }
  return { records, resends, expired, problems, unchanged };
}

/** The oldest usage hour with units not yet accepted by the Marketplace, or null. */
export function oldestUnreported(input: Omit<PlanInput, 'now'>): HourId | null {
  let oldest: HourId | null = null;
  const byCustomer = new Map<string, CustomerHourFigures[]>();
  for (const f of input.hours) {
    const list = byCustomer.get(f.customerId);
    if (list === undefined) byCustomer.set(f.customerId, [f]);
    else list.push(f);
  }
  for (const customer of input.customers) {
    if (typeof identityOf(customer, input.config) !== 'object') continue;
    const figures = byCustomer.get(customer.id) ?? [];
    for (const dimension of DIMENSIONS) {
      const records = Object.values(input.ledger.entries[entryKey(customer.id, dimension)]?.records ?? {});
      const accepted = records.filter((r) => r.state === 'success' || r.state === 'unconfirmed').reduce((s, r) => s + r.quantity, 0);
      for (const [hour, units] of unitsThrough(figures, dimension, perUnit(input.config, dimension))) {
        if (units > accepted) {
          if (oldest === null || hour < oldest) oldest = hour;
          break;
        }
      }
    }
  }
  return oldest;
}
