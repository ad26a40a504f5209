/**
 * Reads Stripe's meter event summaries back per customer, meter and hour
 * (GET /v1/billing/meters/{id}/event_summaries with value_grouping_window=hour,
 * https://docs.stripe.com/api/billing/meter-event-summary/list) and compares them with what the
 * ledger says Stripe acknowledged, and the ledger with the current figures. Each mismatch is a
 * SinkProblem: the sink runs this once a UTC day (stripe-sink.ts), the run's report carries the
 * problems, CloudWatch gets their count (SinkProblems) and an alarm fires on it (docs/stripe.md).
 *
 * Stripe aggregates meter events asynchronously ("the meter event summaries provide an eventually
 * consistent view", https://docs.stripe.com/api/billing/meter-event-summary); it documents no
 * bound on the delay, so a customer-meter with an event sent less than `settleMinutes` ago, or
 * one still pending, is counted as unsettled and not compared, and hours starting less than
 * `settleMinutes` ago are not compared. A delay longer than that shows as a mismatch (loud).
 *
 * Cost: the summaries come 100 hours a page (`limit` at most 100), so one call per customer per
 * meter per 100 hours compared: the whole month so far (at most 8 pages) when run by hand or on a
 * month's first reconciliation, one page a day afterwards (the sink compares a 96-hour window).
 */
import { hourIdOf, hourStart, monthBounds } from '../../../sql/hours';
import type { CustomerHourFigures, SinkProblem } from '../sink';
import type { StripeSinkConfig } from '../../../config/stripe-sink';
import { hourAt, readStripeLedger, hourIndex, landedAmounts, METERS, valueAt, type MeterKey, type StripeLedger } from './ledger';
import type { StripeSink } from './stripe-sink';
import { StripeMeterClient } from './stripe-client';

export interface ReconcileInput {
  readonly environment: string;
  readonly month: string;
  readonly now: Date;
  /** Current figures: hours the ledger is behind on are counted as `unreported`. */
  readonly hours?: readonly CustomerHourFigures[];
  readonly settleMinutes?: number;
}

export interface ReconcileMismatch {
  readonly customerId: string;
  readonly meter: MeterKey;
  /** The hour events landed in (their timestamp's hour), 'YYYY-MM-DDTHH'. */
  readonly hour: string;
  readonly stripe: number;
  readonly ledger: number;
}

export interface ReconcileReport {
  readonly sink: string;
  readonly month: string;
  /** Customer-meters whose summaries were compared. */
  readonly compared: number;
  readonly unsettled: number;
  /** (customer, meter, hour) whose current figure differs from what the ledger says was sent. */
  readonly unreported: number;
  readonly mismatches: readonly ReconcileMismatch[];
  readonly problems: readonly SinkProblem[];
}

/** What one comparison needs: the ledgers as they stand and a client (the sink passes its own). */
export interface LedgerComparison {
  readonly month: string;
  readonly now: Date;
  readonly ledger: StripeLedger;
  /** The previous month's ledger: corrections it carried land in this month's hours. */
  readonly previous: StripeLedger | undefined;
  readonly config: StripeSinkConfig;
  readonly client: () => Promise<StripeMeterClient>;
  readonly settleMinutes: number;
  /** Compare only hours from this one on (unix seconds of an hour's start); default the month's first. */
  readonly fromHourStartS?: number;
  /** Landing hours (unix seconds of their start) not to compare for a customer-meter, e.g. those sent in this run. */
  readonly skip?: (customerId: string, meter: MeterKey, hourStartS: number) => boolean;
  /** When each customer-meter was last acknowledged before this run (ISO), if not its ledger's `lastSentAt`. */
  readonly lastSentAt?: (customerId: string, meter: MeterKey) => string | undefined;
}

export interface ComparisonResult {
  compared: number;
  unsettled: number;
  /** Customer-meters whose summaries could not be read. */
  failed: number;
  /** The earliest hour `skip` left out or found differing (unix seconds of its start): the next comparison reaches back to it. */
  earliestOpen?: number;
  readonly mismatches: ReconcileMismatch[];
  readonly problems: SinkProblem[];
}

export async function reconcileStripe(sink: StripeSink, input: ReconcileInput): Promise<ReconcileReport> {
  const { config, ledgers } = sink.options;
  const read = async (month: string): Promise<StripeLedger | undefined> => {
    const ledger = await readStripeLedger(ledgers, sink.name, input.environment, month);
    return ledger.stored ? { month, customers: ledger.customers } : undefined;
  };
  const empty = { sink: sink.name, month: input.month, compared: 0, unsettled: 0, unreported: 0, mismatches: [], problems: [] };
  const ledger = await read(input.month);
  if (ledger === undefined) return empty;
  const unreported = input.hours === undefined ? 0 : countUnreported(ledger, input.hours);
  let client: StripeMeterClient | undefined;
  const result = await compareWithStripe({
    month: input.month,
    now: input.now,
    ledger,
    previous: await read(hourAt(input.month, -1).slice(0, 7)),
    config,
    settleMinutes: input.settleMinutes ?? 60,
    client: async () => {
      if (client === undefined) {
        const credentials = await sink.options.credentials();
        client = new StripeMeterClient({
          ...sink.options.client,
          apiKey: credentials.apiKey,
          apiBase: credentials.apiBase,
          maxCallsPerSecond: config.maxCallsPerSecond,
        });
      }
      return client;
    },
  });
  return { ...empty, compared: result.compared, unsettled: result.unsettled, unreported, mismatches: result.mismatches, problems: result.problems };
}

/** Compares Stripe's hourly summaries of every customer-meter in the ledger with what the ledger says landed there. */
export async function compareWithStripe(c: LedgerComparison): Promise<ComparisonResult> {
  const result: ComparisonResult = { compared: 0, unsettled: 0, failed: 0, mismatches: [], problems: [] };
  const { config } = c;
  if (config.requestsMeterId === undefined || config.bytesMeterId === undefined) {
    result.problems.push({
      message: 'stripe: cannot reconcile without stripe.requestsMeterId and stripe.bytesMeterId (event summaries are read per meter id)',
    });
    return result;
  }
  const { first, next } = monthBounds(c.month);
  const settledBefore = c.now.getTime() - c.settleMinutes * 60_000;
  const start = Math.max(hourStart(first).getTime() / 1000, c.fromHourStartS ?? 0);
  // only hours that ended before the settle cutoff; summaries are asked on hour boundaries
  const end = Math.min(hourStart(next).getTime(), Math.floor(settledBefore / 3_600_000) * 3_600_000) / 1000;
  if (end <= start) return result;

  for (const [customerId, customer] of Object.entries(c.ledger.customers)) {
    for (const meter of METERS) {
      const own = customer.meters[meter];
      const carriedIn = c.previous?.customers[customerId]?.meters[meter];
      const ownLastSent = c.lastSentAt === undefined ? own.lastSentAt : c.lastSentAt(customerId, meter);
      const busy =
        own.pending.length > 0 ||
        (carriedIn?.pending.length ?? 0) > 0 ||
        [ownLastSent, carriedIn?.lastSentAt].some((at) => at !== undefined && Date.parse(at) > settledBefore);
      if (busy) {
        result.unsettled++;
        continue;
      }
      const expected = new Map<number, number>();
      for (const [at, value] of landedAmounts(c.month, own)) if (at >= start && at < end) expected.set(at, value);
      for (const carried of carriedIn?.carried ?? []) {
        const at = carried.timestamp - (carried.timestamp % 3600);
        if (at >= start && at < end) expected.set(at, (expected.get(at) ?? 0) + carried.value);
      }
      const meterId = meter === 'requests' ? config.requestsMeterId : config.bytesMeterId;
      const summary = await (await c.client()).eventSummaries(meterId, customer.stripeCustomerId, start, end);
      if (summary.kind === 'failed') {
        result.failed++;
        result.problems.push({ customerId, message: `stripe reconcile: ${summary.message}` });
        continue;
      }
      result.compared++;
      for (const at of [...new Set([...expected.keys(), ...summary.byHourStart.keys()])].sort((a, b) => a - b)) {
        if (c.skip?.(customerId, meter, at) === true) {
          result.earliestOpen = Math.min(result.earliestOpen ?? at, at);
          continue;
        }
        const mine = expected.get(at) ?? 0;
        const theirs = summary.byHourStart.get(at) ?? 0;
        if (mine === theirs) continue;
        const hour = hourIdOf(new Date(at * 1000));
        result.earliestOpen = Math.min(result.earliestOpen ?? at, at);
        result.mismatches.push({ customerId, meter, hour, stripe: theirs, ledger: mine });
        result.problems.push({
          customerId,
          hour,
          message: `stripe reconcile: ${meter} of ${customerId} (${customer.stripeCustomerId}) for ${hour}: Stripe holds ${theirs}, we sent ${mine}; check the customer's stripeCustomerId and the meter's error reports in Stripe (docs/stripe.md, "Reconciliation")`,
        });
      }
    }
  }
  return result;
}

function countUnreported(ledger: StripeLedger, hours: readonly CustomerHourFigures[]): number {
  const seen = new Set<string>();
  let unreported = 0;
  for (const f of hours) {
    const index = hourIndex(ledger.month, f.hour);
    seen.add(`${f.customerId}\u0000${index}`);
    const customer = ledger.customers[f.customerId];
    for (const meter of METERS) if (valueAt(customer?.meters[meter].sent ?? [], index) !== f[meter]) unreported++;
  }
  for (const [customerId, customer] of Object.entries(ledger.customers)) {
    for (const meter of METERS) customer.meters[meter].sent.forEach((value, index) => value !== 0 && !seen.has(`${customerId}\u0000${index}`) && unreported++);
  }
  return unreported;
}
