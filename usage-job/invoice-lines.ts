/**
 * Invoice lines for finance: per customer, billable requests and GB out (10^9 bytes) priced at the
 * customer's plan's tiered prices (contracts/prices.ts, docs/prices.md), with the tier breakdown,
 * and the customer's billing ids from the key registry. Unattributed traffic is never billed.
 * Written as CSV (one row per customer, each item's tiers summarized in one column) or JSON (the
 * full breakdown) by the file's extension, atomically.
 */
import { extname } from 'node:path';
import { chargesFor, type Charges, type ItemCharge, type PriceList } from '../contracts/prices';
import { writeFileAtomic } from '../keys/atomic-file';
import type { BilledCustomer } from './customers';
import { monthStatus } from './month-status';
import type { MonthUsage } from './month-figures';

export interface InvoiceLine {
  readonly month: string;
  /**
   * `final` once the run is past the month's end plus the late window (no hour of the month is
   * recomputed after that); `month-to-date` before, when figures can still grow.
   */
  readonly status: 'final' | 'month-to-date';
  /** When the figures were computed (the run's time, ISO 8601 UTC). */
  readonly asOf: string;
  /** The registry's customer id (the metric dimension). */
  readonly customerId: string;
  readonly customer: string;
  readonly plan: string;
  /** Billing ids from the key registry; empty when the customer has none. */
  readonly stripeCustomerId: string;
  readonly marketplaceAccountId: string;
  readonly marketplaceLicenseArn: string;
  readonly requests: number;
  readonly bytesOut: number;
  /** bytesOut / 10^9 */
  readonly gbOut: number;
  /** The tiers the requests fell in, e.g. "1000 included; tier 1: 99000 at 0.5 per 1000 = 49.5". */
  readonly requestsTiers: string;
  readonly gbOutTiers: string;
  /** Amounts in the currency's units, rounded half up to cents per tier; amount = requestsAmount + bytesOutAmount. */
  readonly requestsAmount: number;
  readonly bytesOutAmount: number;
  readonly amount: number;
  readonly currency: string;
  /**
   * Corrections of earlier months a billing sink billed in this month's period (that month's invoice
   * may already have been final), e.g. "requests +120 from 2026-10; bytesOut +5000 from 2026-10";
   * empty when none. They are not in `requests`/`amount` (those are this month's usage).
   */
  readonly carriedCorrections: string;
  /** The full breakdown (JSON only; the CSV carries the tier summaries). */
  readonly charges: Charges;
}

/** A correction carried into this month's period (a sink report's `carried`, usage-job/sinks/sink.ts). */
export interface CarriedCorrection {
  readonly customerId: string;
  readonly fromMonth: string;
  readonly meter: 'requests' | 'bytesOut';
  readonly quantity: number;
}

/** The run a set of invoice lines comes from. */
export interface InvoiceRun {
  readonly now: Date;
  readonly lateWindowHours: number;
}

/** What an invoice line needs of a customer: its plan and billing ids. */
export type InvoiceCustomer = Pick<BilledCustomer, 'id' | 'plan' | 'billing'> & Partial<Pick<BilledCustomer, 'name'>>;

export function invoiceStatus(month: string, run: InvoiceRun): InvoiceLine['status'] {
  return monthStatus(month, run.now, run.lateWindowHours);
}

/** A charge's tiers in one line: included units, then each tier's quantity, unit price, flat fee and amount. */
export function tiersSummary(charge: ItemCharge): string {
  const parts: string[] = [];
  if (charge.includedQuantity > 0) parts.push(`${decimal(charge.includedQuantity)} included`);
  for (const t of charge.tiers) {
    const flat = t.flatFee > 0 ? ` + ${decimal(t.flatFee)} flat` : '';
    parts.push(
      `${charge.mode === 'volume' ? 'volume ' : ''}tier ${t.tier}: ${decimal(t.quantity)} at ${decimal(t.unitPrice)} per ${decimal(charge.unitSize)}${flat} = ${decimal(t.amount)}`,
    );
  }
  return parts.length === 0 ? 'none' : parts.join('; ');
}

/**
 * One line per customer in `usage`, at its plan's price. A customer missing from `customers`, or
 * whose plan has no price, fails the whole set with one line (config and deployment-file
 * validation make both unreachable; a wrong bill is worse than none).
 */
export function invoiceLines(
  usage: MonthUsage,
  customers: readonly InvoiceCustomer[],
  prices: PriceList,
  run: InvoiceRun,
  carried: readonly CarriedCorrection[] = [],
): InvoiceLine[] {
  const carriedText = carriedSummaries(carried);
  const status = invoiceStatus(usage.month, run);
  const asOf = run.now.toISOString();
  const byId = new Map(customers.map((c) => [c.id, c]));
  // a customer without a line this month (revoked, no traffic) still gets one for its carried corrections
  const onlyCarried = [...carriedText.keys()]
    .filter((id) => !usage.keys.some((k) => k.id === id))
    .map((id) => ({ id, name: byId.get(id)?.name ?? id, requests: 0, bytesOut: 0 }));
  return [...usage.keys, ...onlyCarried].map((key) => {
    const customer = byId.get(key.id);
    if (customer === undefined) throw new Error(`invoice lines: customer "${key.id}" is not among the run's customers`);
    const price = prices.plans[customer.plan];
    if (price === undefined) throw new Error(`invoice lines: customer "${key.id}" has plan "${customer.plan}", which has no price`);
    const charges = chargesFor(price, key);
    return {
      month: usage.month,
      status,
      asOf,
      customerId: key.id,
      customer: key.name,
      plan: customer.plan,
      stripeCustomerId: customer.billing.stripeCustomerId ?? '',
      marketplaceAccountId: customer.billing.marketplaceCustomerAwsAccountId ?? '',
      marketplaceLicenseArn: customer.billing.marketplaceLicenseArn ?? '',
      requests: key.requests,
      bytesOut: key.bytesOut,
      gbOut: charges.gbOut.quantity,
      requestsTiers: tiersSummary(charges.requests),
      gbOutTiers: tiersSummary(charges.gbOut),
      requestsAmount: charges.requests.amount,
      bytesOutAmount: charges.gbOut.amount,
      amount: charges.total,
      currency: prices.currency,
      carriedCorrections: carriedText.get(key.id) ?? '',
      charges,
    };
  });
}

const CSV_COLUMNS = [
  'month',
  'status',
  'asOf',
  'customerId',
  'customer',
  'plan',
  'stripeCustomerId',
  'marketplaceAccountId',
  'marketplaceLicenseArn',
  'requests',
  'bytesOut',
  'gbOut',
  'requestsTiers',
  'gbOutTiers',
  'requestsAmount',
  'bytesOutAmount',
  'amount',
  'currency',
  'carriedCorrections',
] as const satisfies readonly (keyof InvoiceLine)[];

/** Per customer, its carried corrections in one line, in the order given. */
function carriedSummaries(carried: readonly CarriedCorrection[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of carried) {
    if (c.quantity === 0) continue;
    const part = `${c.meter} ${c.quantity > 0 ? '+' : ''}${decimal(c.quantity)} from ${c.fromMonth}`;
    const before = out.get(c.customerId);
    out.set(c.customerId, before === undefined ? part : `${before}; ${part}`);
  }
  return out;
}

/** Plain decimal notation (String(9.87e-7) would give an exponent a spreadsheet may misread). */
function decimal(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(9).replace(/\.?0+$/, '');
}

function csvField(value: string | number): string {
  const text = typeof value === 'number' ? decimal(value) : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function invoiceCsv(lines: readonly InvoiceLine[]): string {
  const rows = [CSV_COLUMNS.join(','), ...lines.map((line) => CSV_COLUMNS.map((c) => csvField(line[c])).join(','))];
  return `${rows.join('\r\n')}\r\n`;
}

/** The format a path asks for, or an error naming the accepted extensions. */
export function invoiceFormat(path: string): 'csv' | 'json' {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.json') return 'json';
  throw new Error(`--invoice ${path}: the file name must end in .csv or .json`);
}

export function writeInvoice(path: string, lines: readonly InvoiceLine[]): void {
  const body = invoiceFormat(path) === 'csv' ? invoiceCsv(lines) : `${JSON.stringify({ lines }, null, 2)}\n`;
  writeFileAtomic(path, body);
}
