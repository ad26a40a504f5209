/**
 * A sink receives a usage run's per-customer hourly figures and reports them somewhere: CloudWatch
 * (metrics and alarms), Stripe (meter events), AWS Marketplace (BatchMeterUsage). The run hands
 * every configured sink the same input and runs each one even when another fails; each sink keeps
 * its own ledger of what it has reported and returns its own report for the run's summary.
 *
 * Restatements: CloudFront delivers some log records hours late, so an hour's figures can grow
 * after a sink first reported it. `hours` always carries the complete current figures of every
 * (customer, hour) of the month with usage; a sink compares them with its ledger and reports only
 * what changed, never the same quantity twice.
 *
 * Adding a sink: one folder beside its siblings (usage-job/sinks/<name>/) that exports a
 * `UsageSink`, and one entry in the environment's `sinks` config (docs/sinks.md, "Adding a sink").
 */
import type { BillingIds } from '../../keys/registry';
import type { HourId } from '../../sql/hours';
import type { MonthUsage } from '../month-figures';

/** Billable figures of one customer in one usage hour (see customer-hours.ts for which hour). */
export interface CustomerHourFigures {
  readonly customerId: string;
  /** The usage hour, always inside the run's month ('YYYY-MM-DDTHH', UTC). */
  readonly hour: HourId;
  /** Billable requests (status 200-399 of the customer's live keys). */
  readonly requests: number;
  /** Bytes sent to viewers by those requests. */
  readonly bytesOut: number;
}

/** Who a sink bills: the key registry's customer with its billing ids (never a key value). */
export interface SinkCustomer {
  readonly id: string;
  readonly name: string;
  readonly plan: string;
  readonly revoked: boolean;
  readonly billing: BillingIds;
}

export interface SinkRunInput {
  /** Environment name (ledgers and identifiers are per environment). */
  readonly environment: string;
  /** 'YYYY-MM' */
  readonly month: string;
  /** The run's time. */
  readonly now: Date;
  /** `final` once no hour of the month is recomputed any more (month-status.ts). */
  readonly monthStatus: 'final' | 'month-to-date';
  /**
   * Complete current figures of every (customer, hour) of the month with billable usage, up to
   * `now`, sorted by hour then customer. A (customer, hour) a ledger holds but `hours` lacks now
   * has zero usage.
   */
  readonly hours: readonly CustomerHourFigures[];
  /** Every customer `hours` names, and every other customer of the registry. */
  readonly customers: readonly SinkCustomer[];
  /** The month-to-date figures (what CloudWatch publishes and invoices show). */
  readonly usage: MonthUsage;
  /** Compute what would be sent, send nothing, write no ledger. */
  readonly dryRun: boolean;
  readonly progress?: (message: string) => void;
}

/** Something a sink could not report; the run names it in its summary and the heartbeat says partial. */
export interface SinkProblem {
  readonly customerId?: string;
  readonly hour?: HourId;
  /** One line: what was wrong and what to do. */
  readonly message: string;
}

/**
 * A correction of an earlier month that a sink billed in this month's period because that month's
 * invoice may already be final (Stripe: docs/stripe.md, "Corrections after the invoice"). Invoice
 * lines of this month name it (invoice-lines.ts, `carriedCorrections`).
 */
export interface CarriedCorrectionTotal {
  readonly customerId: string;
  /** The month the usage belongs to ('YYYY-MM'). */
  readonly fromMonth: string;
  readonly meter: 'requests' | 'bytesOut';
  /** The sum of the carried deltas (negative when usage was restated down). */
  readonly quantity: number;
}

export interface SinkReport {
  readonly sink: string;
  /** ok: everything reported; partial: some customers or hours not; failed: nothing could be reported. */
  readonly outcome: 'ok' | 'partial' | 'failed';
  /** Records or events sent in this run (0 in a dry run). */
  readonly sent: number;
  /** (customer, hour) figures the ledger already held unchanged: nothing sent for them. */
  readonly unchanged: number;
  readonly problems: readonly SinkProblem[];
  /** The oldest usage hour with figures not yet fully reported (how far behind the sink is), or null. */
  readonly oldestUnreportedHour: HourId | null;
  /** Corrections of earlier months billed in this month's period, when the sink carries any. */
  readonly carried?: readonly CarriedCorrectionTotal[];
}

export interface UsageSink {
  /** Short name: the report's `sink`, the metric dimension, the ledger's folder. */
  readonly name: string;
  /** Reports what changed; resolves with a report even when customers fail (rejects only when nothing could be attempted). */
  export(input: SinkRunInput): Promise<SinkReport>;
}

/**
 * Where a sink keeps its ledger: JSON documents per (environment, sink, month), each optionally
 * split into named parts (a large ledger is sharded by customer: sharded-ledger.ts), each document
 * replaced whole behind a compare-and-swap (S3 `If-Match`/`If-None-Match` in the usage bucket; a
 * content hash locally). A write that lost the race rejects with `LedgerConflictError` and changes
 * nothing. `write` serializes `body` before it returns its promise, so the caller may change the
 * object right after the call (a sink keeps sending while its checkpoint is stored). The documents'
 * shape belongs to the sink.
 */
export interface LedgerDocument<T> {
  readonly body: T;
  /** Opaque revision (S3 ETag, or a content hash); undefined when the ledger does not exist yet. */
  readonly revision: string | undefined;
}

export class LedgerConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LedgerConflictError';
  }
}

export interface SinkLedgerStore {
  /** Where the ledger (or one part of it) lives (s3://… or a path), for reports and errors. */
  location(sink: string, month: string, part?: string): string;
  read<T>(sink: string, month: string, part?: string): Promise<LedgerDocument<T> | undefined>;
  /** Writes when the stored revision is still `expected` (undefined: only if none exists); returns the new revision. */
  write<T>(sink: string, month: string, body: T, expected: string | undefined, part?: string): Promise<string>;
}
