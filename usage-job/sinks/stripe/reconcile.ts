/**
 * Reads Stripe's meter event summaries back per customer, meter and hour
 * (GET /v1/billing/meters/{id}/event_summaries with value_grouping_window=hour,
 * https://docs.stripe.com/api/billing/meter-event-summary/list) and compares them with what the
 * ledger says Stripe acknowledged, and the ledger with the current figures. A mismatch is a
 * problem in the report (the lead turns the count into a metric and an alarm).
 *
 * Stripe aggregates meter events asynchronously ("the meter event summaries provide an eventually
 * consistent view", https://docs.stripe.com/api/billing/meter-event-summary); it documents no
 * bound on the delay, so a customer-meter with an event sent less than `settleMinutes` ago, or
 * one still pending, is counted as unsettled and not compared.
 */
import { hourIdOf, hourStart, monthBounds } from '../../../sql/hours';
import type { CustomerHourFigures, SinkProblem } from '../sink';
import { checkLedger, hourAt, hourIndex, landedAmounts, METERS, valueAt, type MeterKey, type StripeLedger } from './ledger';
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

export async function reconcileStripe(sink: StripeSink, input: ReconcileInput): Promise<ReconcileReport> {
  const { config, ledgers } = sink.options;
  const report = {
    sink: sink.name,
    month: input.month,
    compared: 0,
    unsettled: 0,
    unreported: 0,
    mismatches: [] as ReconcileMismatch[],
    problems: [] as SinkProblem[],
  };
  const read = async (month: string) => {
    const stored = await ledgers.read<StripeLedger>(sink.name, month);
    return stored === undefined ? undefined : checkLedger(stored.body, input.environment, month, ledgers.location(sink.name, month));
  };
  const ledger = await read(input.month);
  if (ledger === undefined) return report;
  if (input.hours !== undefined) report.unreported = countUnreported(ledger, input.hours);
  if (config.requestsMeterId === undefined || config.bytesMeterId === undefined) {
    report.problems.push({
      message: 'stripe: cannot reconcile without stripe.requestsMeterId and stripe.bytesMeterId (event summaries are read per meter id)',
    });
    return report;
  }
  const previous = await read(hourAt(input.month, -1).slice(0, 7));
  const credentials = await sink.options.credentials();
  const client = new StripeMeterClient({
    ...sink.options.client,
    apiKey: credentials.apiKey,
    apiBase: credentials.apiBase,
    maxCallsPerSecond: config.maxCallsPerSecond,
  });
  const { first, next } = monthBounds(input.month);
  const start = hourStart(first).getTime() / 1000;
  const end = hourStart(next).getTime() / 1000;
  const settledBefore = input.now.getTime() - (input.settleMinutes ?? 60) * 60_000;

  for (const [customerId, customer] of Object.entries(ledger.customers)) {
    for (const meter of METERS) {
      const own = customer.meters[meter];
      const carriedIn = previous?.customers[customerId]?.meters[meter];
      const busy = [own, carriedIn].some(
        (m) => m !== undefined && (m.pending.length > 0 || (m.lastSentAt !== undefined && Date.parse(m.lastSentAt) > settledBefore)),
      );
      if (busy) {
        report.unsettled++;
        continue;
      }
      const expected = new Map<number, number>();
      for (const [at, value] of landedAmounts(input.month, own)) if (at >= start && at < end) expected.set(at, value);
      for (const c of carriedIn?.carried ?? []) {
        const at = c.timestamp - (c.timestamp % 3600);
        if (at >= start && at < end) expected.set(at, (expected.get(at) ?? 0) + c.value);
      }
      const meterId = meter === 'requests' ? config.requestsMeterId : config.bytesMeterId;
      const summary = await client.eventSummaries(meterId, customer.stripeCustomerId, start, end);
      if (summary.kind === 'failed') {
        report.problems.push({ customerId, message: `stripe reconcile: ${summary.message}` });
        continue;
      }
      report.compared++;
      for (const at of new Set([...expected.keys(), ...summary.byHourStart.keys()])) {
        const mine = expected.get(at) ?? 0;
        const theirs = summary.byHourStart.get(at) ?? 0;
        if (mine === theirs) continue;
        const hour = hourIdOf(new Date(at * 1000));
        report.mismatches.push({ customerId, meter, hour, stripe: theirs, ledger: mine });
        report.problems.push({
          customerId,
          hour,
          message: `stripe reconcile: ${meter} of ${customerId} for ${hour}: Stripe holds ${theirs}, the ledger says ${mine} was sent`,
        });
      }
    }
  }
  return report;
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
