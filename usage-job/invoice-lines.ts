/**
 * Invoice lines for finance: per configured key, billable requests, GB out (10^9 bytes) and the
 * amounts from the environment's prices. Unattributed traffic is never billed. Written as CSV or
 * JSON by the file's extension, atomically.
 */
import { extname } from 'node:path';
import type { PricesConfig } from '../config/types';
import { writeFileAtomic } from './atomic-file';
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
  readonly keyId: string;
  readonly customer: string;
  readonly requests: number;
  readonly bytesOut: number;
  /** bytesOut / 10^9 */
  readonly gbOut: number;
  readonly pricePerThousandRequests: number;
  readonly pricePerGbOut: number;
  /** Amounts in the currency's units, rounded to cents; amount = requestsAmount + bytesOutAmount. */
  readonly requestsAmount: number;
  readonly bytesOutAmount: number;
  readonly amount: number;
  readonly currency: string;
}

/**
 * Rounds half up to cents. In binary floating point 1.005 * 100 is 100.49999999999999, which
 * Math.round alone takes down to 1.00; rounding the product to 12 significant digits first gives
 * 100.5 and so 1.01 (exact for amounts below 10^9 currency units).
 */
const cents = (value: number): number => Math.round(Number((value * 100).toPrecision(12))) / 100;

/** The run a set of invoice lines comes from. */
export interface InvoiceRun {
  readonly now: Date;
  readonly lateWindowHours: number;
}

export function invoiceStatus(month: string, run: InvoiceRun): InvoiceLine['status'] {
  return monthStatus(month, run.now, run.lateWindowHours);
}

/** What one key's usage costs at the given prices, amounts rounded half up to cents. */
export function keyAmounts(
  key: { readonly requests: number; readonly bytesOut: number },
  prices: PricesConfig,
): Pick<InvoiceLine, 'gbOut' | 'requestsAmount' | 'bytesOutAmount' | 'amount'> {
  const gbOut = key.bytesOut / 1e9;
  const requestsAmount = cents((key.requests / 1000) * prices.perThousandRequests);
  const bytesOutAmount = cents(gbOut * prices.perGbOut);
  return { gbOut, requestsAmount, bytesOutAmount, amount: cents(requestsAmount + bytesOutAmount) };
}

export function invoiceLines(usage: MonthUsage, prices: PricesConfig, run: InvoiceRun): InvoiceLine[] {
  const status = invoiceStatus(usage.month, run);
  const asOf = run.now.toISOString();
  return usage.keys.map((key) => {
    const { gbOut, requestsAmount, bytesOutAmount, amount } = keyAmounts(key, prices);
    return {
      month: usage.month,
      status,
      asOf,
      keyId: key.id,
      customer: key.name,
      requests: key.requests,
      bytesOut: key.bytesOut,
      gbOut,
      pricePerThousandRequests: prices.perThousandRequests,
      pricePerGbOut: prices.perGbOut,
      requestsAmount,
      bytesOutAmount,
      amount,
      currency: prices.currency,
    };
  });
}

const CSV_COLUMNS: readonly (keyof InvoiceLine)[] = [
  'month',
  'status',
  'asOf',
  'keyId',
  'customer',
  'requests',
  'bytesOut',
  'gbOut',
  'pricePerThousandRequests',
  'pricePerGbOut',
  'requestsAmount',
  'bytesOutAmount',
  'amount',
  'currency',
];

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
