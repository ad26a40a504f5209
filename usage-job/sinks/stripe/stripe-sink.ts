/**
 * The Stripe sink: each (customer, meter, usage hour) whose figure differs from what Stripe has
 * acknowledged is sent as a delta meter event (value = new total - acknowledged total) with its own
 * deterministic identifier, to a `sum` meter, so the order in which Stripe receives the deltas
 * cannot change the sum (docs/stripe.md has the design and the Stripe documentation it rests on).
 *
 * Exactly once: every event is written to the ledger (pending) before it is sent and marked sent
 * after Stripe acknowledged it. A pending event younger than Stripe's identifier window is resent
 * as it was (same identifier, value and timestamp: Stripe keeps one); an older one is settled by
 * reading Stripe's meter event summaries back, or named as a problem for an operator.
 *
 * Once a UTC day (the first run of the day that reaches Stripe) the sink also compares Stripe's
 * summaries of the month with its ledger (reconcile.ts): Stripe answers 200 to an event for an
 * unknown customer and drops it later, so only reading back shows it. Each mismatch is a problem.
 */
import { hourIdOf, hourStart, monthBounds, type HourId } from '../../../sql/hours';
import type { CarriedCorrectionTotal, SinkLedgerStore, SinkProblem, SinkReport, SinkRunInput, UsageSink } from '../sink';
import type { StripeCredentials } from './api-key';
import { stripeSinkConfigError, type StripeSinkConfig } from '../../../config/stripe-sink';
import { compareWithStripe } from './reconcile';
import {
  carriedTotals,
  emptyMeterLedger,
  eventIdentifier,
  hourAt,
  hourIndex,
  landedAmounts,
  METERS,
  setAt,
  valueAt,
  type MeterKey,
  type MeterLedger,
  type PendingEvent,
  readStripeLedger,
  readStripeLedgerHead,
  type StripeLedger,
  type StripeLedgerFile,
} from './ledger';
import { StripeMeterClient, type SendOutcome, type StripeClientOptions } from './stripe-client';
import { billingChannel } from '../../../keys/registry';
import { shardOf } from '../sharded-ledger';

const HOUR_MS = 3_600_000;
/** Stripe enforces identifier uniqueness "within a rolling period of at least 24 hours"; one hour kept as margin. */
export const IDENTIFIER_WINDOW_MS = 23 * HOUR_MS;
/** Timestamps "must be within the past 35 calendar days"; one hour kept as margin for the send itself. */
const OLDEST_TIMESTAMP_MS = 35 * 24 * HOUR_MS - HOUR_MS;
/**
 * After its first reconciliation a month is compared from 72 hours before the previous one: one
 * 100-hour page of summaries per customer-meter a day, and every hour restated meanwhile (logs
 * arrive up to the late window, 48 hours by default, after their hour) is compared at least once.
 */
const RECONCILE_OVERLAP_MS = 72 * HOUR_MS;
/** An event sent this close to the invoice's finalization may be processed after it (processing is asynchronous). */
const FINALIZATION_MARGIN_MS = HOUR_MS;

export interface StripeSinkOptions {
  readonly config: StripeSinkConfig;
  readonly ledgers: SinkLedgerStore;
  /** The key and API base: credentialsFromEnvironment() for the CLI, credentialsFromSecret() in AWS. Called once per run that sends. */
  readonly credentials: () => Promise<StripeCredentials>;
  /** Customer-meter pairs in flight at once (each pair sends one event at a time: Stripe allows one concurrent call per customer per meter). */
  readonly concurrency?: number;
  /** Acknowledged events between two ledger checkpoints. */
  readonly checkpointEvery?: number;
  /** Test hooks for the HTTP client (sleep, random, attempts, fetch). */
  readonly client?: Partial<Omit<StripeClientOptions, 'apiKey' | 'apiBase'>>;
  readonly name?: string;
  /**
   * The daily reconciliation compares only customer-meters last acknowledged at least this long
   * before the run, and hours that ended that long before it (Stripe aggregates asynchronously and
   * documents no bound). Default 30: the previous hourly run's events are older than that.
   */
  readonly reconcileSettleMinutes?: number;
}

export interface StripeSink extends UsageSink {
  /** Compares Stripe's meter event summaries with the ledger (reconcile.ts). */
  readonly options: StripeSinkOptions;
}

interface CustomerFigures {
  readonly requests: number[];
  readonly bytesOut: number[];
  readonly indexes: number[];
  billable: boolean;
}

interface Group {
  readonly customerId: string;
  readonly stripeCustomerId: string;
  readonly meter: MeterKey;
  readonly eventName: string;
  readonly ledger: MeterLedger;
  /** The meter's current figure per hour index (a hole: no figure, i.e. zero). */
  readonly figures: readonly number[];
  /** The hour indexes the customer has figures for (both meters). */
  readonly figureIndexes: readonly number[];
}

export function createStripeSink(options: StripeSinkOptions): StripeSink {
  const error = stripeSinkConfigError(options.config);
  if (error !== undefined) throw new Error(error);
  const name = options.name ?? 'stripe';
  return { name, options, export: (input) => new StripeExport(name, options, input).run() };
}

/** One run of the sink over one month. */
class StripeExport {
  private readonly problems = new Map<string, { problem: SinkProblem; count: number }>();
  /** Customers billed through AWS Marketplace: neither problems nor unreported here. */
  private readonly otherChannel = new Set<string>();
  private ledger!: StripeLedgerFile;
  private previousLedger: StripeLedger | null | undefined;
  private client: StripeMeterClient | undefined;
  private readonly nowMs: number;
  private readonly nowIso: string;
  private sent = 0;
  private unavailable: { count: number; message: string } | undefined;
  private sinceCheckpoint = 0;
  /** A carried correction was acknowledged since the head's totals were last computed. */
  private carriedChanged = false;
  /** Set when a ledger write failed: nothing more is sent (the run ends as a crash would). */
  private halted = false;
  /** Per customer-meter, when Stripe last acknowledged it before this run (the ledger's value as read). */
  private readonly lastSentBefore = new Map<string, string | undefined>();
  /** (customer, meter, landing hour) acknowledged in this run: too fresh to compare with Stripe's summaries. */
  private readonly landedThisRun = new Set<string>();
  private reconcileProblems: SinkProblem[] = [];

  constructor(
    private readonly name: string,
    private readonly options: StripeSinkOptions,
    private readonly input: SinkRunInput,
  ) {
    this.nowMs = input.now.getTime();
    this.nowIso = input.now.toISOString();
  }

  async run(): Promise<SinkReport> {
    const { input, options } = this;
    this.ledger = await readStripeLedger(options.ledgers, this.name, input.environment, input.month);
    this.refreshCarriedTotals(); // a kill or a racing run can leave the head's totals behind its shards

    const groups = this.groups();
    for (const g of groups) this.lastSentBefore.set(`${g.customerId}\u0000${g.meter}`, g.ledger.lastSentAt);
    const unchanged = this.countUnchanged(groups);
    const withPending = groups.filter((g) => g.ledger.pending.length > 0);

    if (input.dryRun) {
      const planned = groups.reduce((n, g) => n + g.ledger.pending.length + this.deltas(g).length, 0);
      input.progress?.(`stripe: dry run, would send ${planned} meter events (${withPending.length} customer-meters with events awaiting confirmation)`);
      return await this.report(groups, unchanged);
    }

    if (withPending.length > 0) {
      await eachUntilDone(this.byShard(withPending), this.concurrency, (g) => this.resolvePending(g));
      await this.checkpoint(true);
    }

    let planned = 0;
    for (const g of this.unavailable === undefined ? groups : []) {
      for (const event of this.deltas(g)) {
        g.ledger.pending.push(event);
        setAt(g.ledger.revisions, hourIndex(input.month, event.hour), event.revision);
        this.ledger.touch(g.customerId);
        planned++;
      }
    }
    if (planned > 0) {
      await this.checkpoint(true); // the intent is stored before the first send
      input.progress?.(`stripe: sending ${planned} meter events for ${input.month}`);
      await eachUntilDone(this.byShard(groups.filter((g) => g.ledger.pending.length > 0)), this.concurrency, (g) => this.sendPending(g));
      await this.checkpoint(true);
    }
    if (this.reconciliationDue()) await this.reconcile();
    if (this.ledger.changed && !this.halted) await this.checkpoint(true); // e.g. the head's carried totals put right
    return await this.report(groups, unchanged);
  }

  /** The first run of each UTC day that sent everything it could (Stripe up, ledger written). */
  private reconciliationDue(): boolean {
    if (this.halted || this.unavailable !== undefined) return false;
    const last = this.ledger.head.lastReconciledAt;
    return last === undefined || last.slice(0, 10) < this.nowIso.slice(0, 10);
  }

  private reconcileFrom(): number | undefined {
    const last = this.ledger.head.lastReconciledAt;
    if (last === undefined) return undefined;
    const window = Math.floor((Date.parse(last) - RECONCILE_OVERLAP_MS) / HOUR_MS) * 3600;
    const backTo = this.ledger.head.reconcileBackTo;
    return backTo === undefined ? window : Math.min(window, hourStart(backTo).getTime() / 1000);
  }

  private async reconcile(): Promise<void> {
    const result = await compareWithStripe({
      month: this.input.month,
      now: this.input.now,
      ledger: { month: this.input.month, customers: this.ledger.customers },
      previous: (await this.previous()) ?? undefined,
      config: this.options.config,
      client: () => this.stripe(),
      settleMinutes: this.options.reconcileSettleMinutes ?? 30,
      fromHourStartS: this.reconcileFrom(),
      skip: (customerId, meter, hourStartS) => this.landedThisRun.has(`${customerId}\u0000${meter}\u0000${hourStartS}`),
      lastSentAt: (customerId, meter) => this.lastSentBefore.get(`${customerId}\u0000${meter}`),
    });
    this.input.progress?.(
      `stripe: reconciled ${this.input.month} with Stripe: ${result.compared} customer-meters compared, ${result.unsettled} unsettled, ${result.mismatches.length} hours differ`,
    );
    // one problem per customer, as for sends (a mistyped customer id differs in every hour)
    const byCustomer = new Map<string | undefined, { problem: SinkProblem; count: number }>();
    for (const problem of result.problems) {
      const entry = byCustomer.get(problem.customerId);
      if (entry === undefined) byCustomer.set(problem.customerId, { problem, count: 1 });
      else entry.count++;
    }
    this.reconcileProblems = [...byCustomer.values()].map(({ problem, count }) =>
      count === 1 ? problem : { ...problem, message: `${problem.message} (and ${count - 1} more hours or meters like it)` },
    );
    if (result.failed > 0) return; // Stripe did not answer for some: the next run tries again
    const head = this.ledger.head;
    head.lastReconciledAt = this.nowIso;
    if (result.earliestOpen === undefined) delete head.reconcileBackTo;
    else head.reconcileBackTo = hourIdOf(new Date(result.earliestOpen * 1000));
    this.ledger.touchHead();
    await this.checkpoint(true);
  }

  /**
   * Groups in ledger shard order: while sends go on only the one or two shards under way have
   * changed, so a checkpoint rewrites those, not the whole month.
   */
  private byShard(groups: readonly Group[]): Group[] {
    const shard = new Map(groups.map((g) => [g.customerId, shardOf(g.customerId, this.ledger.shards)]));
    return [...groups].sort(
      (a, b) => shard.get(a.customerId)! - shard.get(b.customerId)! || (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0),
    );
  }

  private get concurrency(): number {
    return this.options.concurrency ?? 8;
  }

  /** One group per (customer, meter) with figures or a ledger; customers Stripe cannot bill become problems. */
  private groups(): Group[] {
    const { input } = this;
    // Per customer, arrays by hour index: a run near the month's end hands in millions of figures.
    const figures = new Map<string, CustomerFigures>();
    const { first, next } = monthBounds(input.month);
    let lastHour: string | undefined;
    let index = 0;
    for (const f of input.hours) {
      if (f.hour !== lastHour) {
        if (f.hour < first || f.hour >= next) throw new Error(`stripe sink: figures of ${f.customerId} for hour ${f.hour} lie outside ${input.month}`);
        index = hourIndex(input.month, f.hour);
        lastHour = f.hour;
      }
      if (!Number.isSafeInteger(f.requests) || !Number.isSafeInteger(f.bytesOut) || f.requests < 0 || f.bytesOut < 0) {
        throw new Error(`stripe sink: figures of ${f.customerId} for ${f.hour} are not whole numbers (${f.requests} requests, ${f.bytesOut} bytes)`);
      }
      let own = figures.get(f.customerId);
      if (own === undefined) figures.set(f.customerId, (own = { requests: [], bytesOut: [], indexes: [], billable: false }));
      if (own.requests[index] === undefined) own.indexes.push(index);
      own.requests[index] = f.requests;
      own.bytesOut[index] = f.bytesOut;
      if (f.requests > 0 || f.bytesOut > 0) own.billable = true;
    }
    const customers = new Map(input.customers.map((c) => [c.id, c]));
    const ids = [...new Set([...figures.keys(), ...Object.keys(this.ledger.customers)])].sort();
    const groups: Group[] = [];
    for (const customerId of ids) {
      const own = figures.get(customerId) ?? { requests: [], bytesOut: [], indexes: [], billable: false };
      const stored = this.ledger.customers[customerId];
      const billing = customers.get(customerId)?.billing;
      const channel = billing === undefined ? undefined : billingChannel(billing);
      const stripeCustomerId = billing?.stripeCustomerId;
      const billable = own.billable;
      // Billed through AWS Marketplace: not this sink's customer, unless Stripe already holds some of its month.
      if (channel === 'marketplace' && stored === undefined) {
        this.otherChannel.add(customerId);
        continue;
      }
      if (channel === 'both') {
        this.problem(
          customerId,
          `customer ${customerId} has both a stripeCustomerId and AWS Marketplace ids: its usage is not sent to Stripe; keep one channel (keys set-billing --clear-stripe-customer, or a new customer)`,
        );
        continue;
      }
      if (stripeCustomerId === undefined || stripeCustomerId === '') {
        if (billable || stored !== undefined) {
          const why =
            channel === 'marketplace'
              ? `is billed through AWS Marketplace now, but usage of ${this.input.month} was already sent to Stripe under ${stored?.stripeCustomerId}`
              : customers.has(customerId)
                ? 'has no billing id in the key registry'
                : 'is not in the key registry';
          this.problem(
            customerId,
            `customer ${customerId} ${why}: its usage is not sent to Stripe; keys set-billing (docs/keys.md, Billing ids) and run again`,
          );
        }
        continue;
      }
      if (stored !== undefined && stored.stripeCustomerId !== stripeCustomerId) {
        this.problem(
          customerId,
          `customer ${customerId}'s stripeCustomerId changed from ${stored.stripeCustomerId} to ${stripeCustomerId} after usage of ${this.input.month} was sent; nothing more is sent for it until an operator moves that usage in Stripe and the ledger`,
        );
        continue;
      }
      if (stored === undefined && !billable) continue;
      const customerLedger = stored ?? { stripeCustomerId, meters: { requests: emptyMeterLedger(), bytesOut: emptyMeterLedger() } };
      if (stored === undefined) {
        this.ledger.customers[customerId] = customerLedger;
        this.ledger.touch(customerId);
      }
      for (const meter of METERS) {
        const eventName = meter === 'requests' ? this.options.config.requestsEventName : this.options.config.bytesEventName;
        groups.push({ customerId, stripeCustomerId, meter, eventName, ledger: customerLedger.meters[meter], figures: own[meter], figureIndexes: own.indexes });
      }
    }
    return groups;
  }

  /** (customer, hour) figures of this sink's customers whose both meters Stripe already holds, with nothing pending. */
  private countUnchanged(groups: readonly Group[]): number {
    const byCustomer = new Map<string, { indexes: readonly number[]; changed: Set<number> }>();
    for (const g of groups) {
      let own = byCustomer.get(g.customerId);
      if (own === undefined) byCustomer.set(g.customerId, (own = { indexes: g.figureIndexes, changed: new Set() }));
      for (const p of g.ledger.pending) own.changed.add(hourIndex(this.input.month, p.hour));
      for (const index of g.figureIndexes) if ((g.figures[index] ?? 0) !== valueAt(g.ledger.sent, index)) own.changed.add(index);
    }
    let unchanged = 0;
    for (const { indexes, changed } of byCustomer.values()) for (const index of indexes) if (!changed.has(index)) unchanged++;
    return unchanged;
  }

  /** New delta events of a group, for hours with no event awaiting confirmation. */
  private deltas(g: Group): PendingEvent[] {
    const busy = new Set(g.ledger.pending.map((p) => hourIndex(this.input.month, p.hour)));
    const events: PendingEvent[] = [];
    for (let index = 0, end = Math.max(g.figures.length, g.ledger.sent.length); index < end; index++) {
      if (busy.has(index)) continue;
      const value = (g.figures[index] ?? 0) - valueAt(g.ledger.sent, index);
      if (value === 0) continue;
      const hour = hourAt(this.input.month, index);
      const hourStartMs = hourStart(hour).getTime();
      if (hourStartMs > this.nowMs) {
        this.problem(g.customerId, `figures of ${g.customerId} for ${hour} lie after the run's time ${this.nowIso}; not sent`);
        continue;
      }
      const carried = this.monthClosed() || hourStartMs < this.nowMs - OLDEST_TIMESTAMP_MS;
      events.push({
        hour,
        revision: valueAt(g.ledger.revisions, index) + 1,
        value,
        timestamp: Math.floor((carried ? this.nowMs : hourStartMs) / 1000),
        firstSentAt: this.nowIso,
        carried,
      });
    }
    return events;
  }

  /** True once the month's invoice may be final: Stripe finalizes it the grace period after the period ends. */
  private monthClosed(): boolean {
    const end = hourStart(monthBounds(this.input.month).next).getTime();
    return this.nowMs >= end + this.options.config.invoiceGraceHours * HOUR_MS - FINALIZATION_MARGIN_MS;
  }

  private async resolvePending(g: Group): Promise<void> {
    for (const event of [...g.ledger.pending]) {
      if (this.unavailable !== undefined || this.halted) return;
      const age = this.nowMs - Date.parse(event.firstSentAt);
      if (age < IDENTIFIER_WINDOW_MS) {
        await this.send(g, event);
      } else {
        await this.settle(g, event);
      }
    }
  }

  private async sendPending(g: Group): Promise<void> {
    for (const event of [...g.ledger.pending]) {
      if (this.unavailable !== undefined || this.halted) return; // Stripe is down, or the ledger unwritable: the rest stays pending
      await this.send(g, event);
    }
  }

  private async send(g: Group, event: PendingEvent): Promise<void> {
    const client = await this.stripe();
    const outcome: SendOutcome = await client.sendMeterEvent({
      eventName: g.eventName,
      stripeCustomerId: g.stripeCustomerId,
      value: event.value,
      identifier: eventIdentifier(this.input.environment, g.customerId, g.eventName, event.hour, event.revision),
      timestamp: event.timestamp,
    });
    switch (outcome.kind) {
      case 'recorded':
      case 'duplicate':
        this.acknowledge(g, event);
        this.sent++;
        await this.checkpoint(false);
        return;
      case 'rejected':
        this.drop(g, event);
        this.problem(
          g.customerId,
          `Stripe refused ${g.meter} of ${g.customerId} (${g.stripeCustomerId}) for ${event.hour}: HTTP ${outcome.status}: ${outcome.message}`,
          event.hour,
        );
        return;
      case 'unavailable':
        this.unavailable ??= { count: 0, message: outcome.message };
        this.unavailable.count++;
        return;
    }
  }

  /** A pending event older than Stripe's identifier window: resending could count it twice, so ask Stripe what it holds. */
  private async settle(g: Group, event: PendingEvent): Promise<void> {
    const meterId = g.meter === 'requests' ? this.options.config.requestsMeterId : this.options.config.bytesMeterId;
    const identifier = eventIdentifier(this.input.environment, g.customerId, g.eventName, event.hour, event.revision);
    const operator = `event ${identifier} (${g.meter} of ${g.customerId} for ${event.hour}, value ${event.value}) was first sent at ${event.firstSentAt} and never confirmed; Stripe may have forgotten its identifier, so it is not resent`;
    if (meterId === undefined) {
      this.problem(g.customerId, `${operator}: set the meter ids so the sink can settle it from Stripe's event summaries, or check them by hand`, event.hour);
      return;
    }
    if (event.carried) {
      this.problem(
        g.customerId,
        `${operator}: a carried correction is settled by hand (compare the meter's event summaries for ${new Date(event.timestamp * 1000).toISOString()})`,
        event.hour,
      );
      return;
    }
    const hourStartS = event.timestamp - (event.timestamp % 3600);
    const expected = (landedAmounts(this.input.month, g.ledger).get(hourStartS) ?? 0) + (await this.carriedInto(g, hourStartS));
    const summary = await (await this.stripe()).eventSummaries(meterId, g.stripeCustomerId, hourStartS, hourStartS + 3600);
    if (summary.kind === 'failed') {
      this.problem(g.customerId, `${operator}: could not read Stripe's event summaries: ${summary.message}`, event.hour);
      return;
    }
    const held = summary.byHourStart.get(hourStartS) ?? 0;
    if (held === expected + event.value) {
      this.acknowledge(g, event);
    } else if (held === expected) {
      this.drop(g, event); // never recorded: the next delta (a new revision) sends it
    } else {
      this.problem(
        g.customerId,
        `${operator}: Stripe holds ${held} for that hour, the ledger expects ${expected} without it or ${expected + event.value} with it; an operator must reconcile`,
        event.hour,
      );
    }
  }

  /** The previous month's ledger (read once per run, only when reconciling or settling), or null when there is none. */
  private async previous(): Promise<StripeLedger | null> {
    if (this.previousLedger === undefined) {
      const previous = await readStripeLedger(this.options.ledgers, this.name, this.input.environment, this.previousMonth());
      this.previousLedger = previous.stored ? { month: this.previousMonth(), customers: previous.customers } : null;
    }
    return this.previousLedger;
  }

  private previousMonth(): string {
    return hourAt(this.input.month, -1).slice(0, 7);
  }

  /** Corrections the previous month's ledger carried into this month's period, per customer and meter. */
  private async carriedIn(): Promise<CarriedCorrectionTotal[]> {
    const fromMonth = this.previousMonth();
    const head = await readStripeLedgerHead(this.options.ledgers, this.name, this.input.environment, fromMonth);
    return Object.entries(head?.carried ?? {}).flatMap(([customerId, totals]) =>
      METERS.filter((meter) => totals[meter] !== 0).map((meter) => ({ customerId, fromMonth, meter, quantity: totals[meter] })),
    );
  }

  /** Corrections the previous month's ledger carried into this hour (they land in this month's period). */
  private async carriedInto(g: Group, hourStartS: number): Promise<number> {
    const meter = (await this.previous())?.customers[g.customerId]?.meters[g.meter];
    if (meter === undefined) return 0;
    return meter.carried.filter((c) => c.timestamp - (c.timestamp % 3600) === hourStartS).reduce((sum, c) => sum + c.value, 0);
  }

  private acknowledge(g: Group, event: PendingEvent): void {
    const index = hourIndex(this.input.month, event.hour);
    g.ledger.pending = g.ledger.pending.filter((p) => p !== event);
    setAt(g.ledger.sent, index, valueAt(g.ledger.sent, index) + event.value);
    if (event.carried) {
      g.ledger.carried.push({ hour: event.hour, revision: event.revision, value: event.value, timestamp: event.timestamp });
      this.carriedChanged = true;
    }
    g.ledger.lastSentAt = this.nowIso;
    this.ledger.touch(g.customerId);
    this.landedThisRun.add(`${g.customerId}\u0000${g.meter}\u0000${event.timestamp - (event.timestamp % 3600)}`);
    this.sinceCheckpoint++;
  }

  private drop(g: Group, event: PendingEvent): void {
    g.ledger.pending = g.ledger.pending.filter((p) => p !== event);
    this.ledger.touch(g.customerId);
    this.sinceCheckpoint++;
  }

  /** Writes the shards that changed (`force` always, otherwise every `checkpointEvery` acknowledgements); a failed write halts the run. */
  private async checkpoint(force: boolean): Promise<void> {
    if (!force && this.sinceCheckpoint < (this.options.checkpointEvery ?? 10_000)) return;
    this.sinceCheckpoint = 0;
    if (this.carriedChanged) this.refreshCarriedTotals();
    try {
      await this.ledger.write();
    } catch (error) {
      this.halted = true;
      throw error;
    }
  }

  /** The head's per-customer carried totals, recomputed from the shards (what the next month's invoice lines read). */
  private refreshCarriedTotals(): void {
    this.carriedChanged = false;
    const totals = carriedTotals(this.ledger.customers);
    const stored = this.ledger.head.carried ?? {};
    const same =
      Object.keys(totals).length === Object.keys(stored).length &&
      Object.entries(totals).every(([id, t]) => stored[id]?.requests === t.requests && stored[id]?.bytesOut === t.bytesOut);
    if (same) return;
    this.ledger.head.carried = totals;
    this.ledger.touchHead();
  }

  private async stripe(): Promise<StripeMeterClient> {
    if (this.client === undefined) {
      const credentials = await this.options.credentials();
      this.client = new StripeMeterClient({
        ...this.options.client,
        apiKey: credentials.apiKey,
        apiBase: credentials.apiBase,
        maxCallsPerSecond: this.options.config.maxCallsPerSecond,
      });
    }
    return this.client;
  }

  private problem(customerId: string, message: string, hour?: HourId): void {
    const entry = this.problems.get(customerId);
    if (entry === undefined) this.problems.set(customerId, { problem: { customerId, hour, message }, count: 1 });
    else entry.count++;
  }

  private async report(groups: readonly Group[], unchanged: number): Promise<SinkReport> {
    const problems: SinkProblem[] = [...this.problems.values()].map(({ problem, count }) =>
      count === 1 ? problem : { ...problem, message: `${problem.message} (and ${count - 1} more like it)` },
    );
    problems.push(...this.reconcileProblems);
    if (this.unavailable !== undefined) {
      const pending = groups.reduce((n, g) => n + g.ledger.pending.length, 0);
      problems.push({ message: `Stripe unavailable: ${this.unavailable.message}; ${pending} meter events stay pending and are resent by the next run` });
    }
    let oldest: HourId | null = null;
    const consider = (hour: HourId) => {
      if (oldest === null || hour < oldest) oldest = hour;
    };
    for (const g of groups) {
      for (const p of g.ledger.pending) consider(p.hour);
      // the group's first differing hour is its oldest unreported one
      for (let index = 0, end = Math.max(g.figures.length, g.ledger.sent.length); index < end; index++) {
        if ((g.figures[index] ?? 0) !== valueAt(g.ledger.sent, index)) {
          consider(hourAt(this.input.month, index));
          break;
        }
      }
    }
    for (const { problem } of this.problems.values()) if (problem.hour !== undefined) consider(problem.hour);
    const billedCustomers = new Set(groups.map((g) => g.customerId));
    for (const f of this.input.hours) {
      if (billedCustomers.has(f.customerId) || this.otherChannel.has(f.customerId)) continue;
      if (f.requests > 0 || f.bytesOut > 0) consider(f.hour);
    }
    const outcome = problems.length === 0 ? 'ok' : this.sent === 0 && oldest !== null && this.unavailable !== undefined ? 'failed' : 'partial';
    const carried = await this.carriedIn();
    return { sink: this.name, outcome, sent: this.sent, unchanged, problems, oldestUnreportedHour: oldest, ...(carried.length > 0 ? { carried } : {}) };
  }
}

/**
 * Runs `fn` over the items, at most `limit` at once. Unlike a plain pool it never returns while a
 * call is still in flight: after a failure it takes no new item, waits for the running ones, then
 * throws the first error (a send still running after the run ended could land after the next run
 * began, with Stripe's identifier window already past).
 */
async function eachUntilDone<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      try {
        await fn(items[next++]);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== undefined) throw failure.error;
}
