import type { PriceList } from '../contracts/prices';
import { invoiceCsv, invoiceLines, invoiceStatus, writeInvoice, type InvoiceCustomer } from './invoice-lines';
import type { MonthUsage } from './month-figures';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const prices: PriceList = {
  currency: 'USD',
  plans: {
    flat: {
      requests: { mode: 'graduated', unitSize: 1000, tiers: [{ upTo: null, unitPrice: 0.5 }] },
      gbOut: { mode: 'graduated', unitSize: 1, tiers: [{ upTo: null, unitPrice: 0.09 }] },
    },
    tiered: {
      requests: {
        mode: 'graduated',
        unitSize: 1000,
        includedUnits: 1000,
        tiers: [
          { upTo: 100_000, unitPrice: 0.5 },
          { upTo: null, unitPrice: 0.4, flatFee: 1 },
        ],
      },
      gbOut: {
        mode: 'volume',
        unitSize: 1,
        tiers: [
          { upTo: 1, unitPrice: 0.09 },
          { upTo: null, unitPrice: 0.07 },
        ],
      },
    },
  },
};
const customers: InvoiceCustomer[] = [
  { id: 'a', plan: 'flat', billing: { stripeCustomerId: 'cus_A', marketplaceCustomerAwsAccountId: '123456789012' } },
  { id: 'b', plan: 'flat', billing: {} },
  { id: 't', plan: 'tiered', billing: { marketplaceLicenseArn: 'arn:aws:license-manager::123456789012:license:l-1' } },
];
const run = { now: new Date('2026-11-20T10:15:00Z'), lateWindowHours: 48 };

function usageOf(keys: { id: string; requests: number; bytesOut: number }[]): MonthUsage {
  return {
    month: '2026-11',
    keys: keys.map((k) => ({
      ...k,
      name: `${k.id} Corp`,
      rejected: 0,
      errors: 0,
      bytesIn: 0,
      quota: 1_000_000,
      quotaUsedPercent: (100 * k.requests) / 1_000_000,
    })),
    unattributed: { requests: 0 },
    totalRequests: keys.reduce((sum, k) => sum + k.requests, 0),
  };
}

describe('invoice lines', () => {
  it('rounds half a cent up, also where binary floating point lands just below it', () => {
    // 2,010 requests at 0.50 per thousand = 1.005; 0.5 GB at 0.09 per GB = 0.045; 2,030 requests = 1.015
    const [a, b] = invoiceLines(
      usageOf([
        { id: 'a', requests: 2010, bytesOut: 500_000_000 },
        { id: 'b', requests: 2030, bytesOut: 0 },
      ]),
      customers,
      prices,
      run,
    );
    expect([a.requestsAmount, a.bytesOutAmount, a.amount]).toEqual([1.01, 0.05, 1.06]);
    expect([b.requestsAmount, b.bytesOutAmount, b.amount]).toEqual([1.02, 0, 1.02]);
  });

  it('writes one CSV row per customer with its plan, billing ids, tier summaries and amounts in cents', () => {
    const csv = invoiceCsv(invoiceLines(usageOf([{ id: 'a', requests: 2010, bytesOut: 1_500_000_000 }]), customers, prices, run)).split('\r\n');
    expect(csv[0]).toBe(
      'month,status,asOf,customerId,customer,plan,stripeCustomerId,marketplaceAccountId,marketplaceLicenseArn,requests,bytesOut,gbOut,requestsTiers,gbOutTiers,requestsAmount,bytesOutAmount,amount,currency,carriedCorrections',
    );
    expect(csv[1]).toBe(
      '2026-11,month-to-date,2026-11-20T10:15:00.000Z,a,a Corp,flat,cus_A,123456789012,,2010,1500000000,1.5,tier 1: 2010 at 0.5 per 1000 = 1.01,tier 1: 1.5 at 0.09 per 1 = 0.14,1.01,0.14,1.15,USD,',
    );
  });

  it('shows included units and each tier, graduated and volume, and the breakdown in JSON', () => {
    const [line] = invoiceLines(usageOf([{ id: 't', requests: 201_000, bytesOut: 2_000_000_000 }]), customers, prices, run);
    // 1,000 included; tier bounds count the 200,000 beyond them: 100,000 at 0.5/1,000 = 50; 100,000 at 0.4/1,000 + 1 = 41;
    // 2 GB all at the second volume tier: 0.14
    expect(line.requestsTiers).toBe('1000 included; tier 1: 100000 at 0.5 per 1000 = 50; tier 2: 100000 at 0.4 per 1000 + 1 flat = 41');
    expect(line.gbOutTiers).toBe('volume tier 2: 2 at 0.07 per 1 = 0.14');
    expect([line.requestsAmount, line.bytesOutAmount, line.amount]).toEqual([91, 0.14, 91.14]);
    expect(line.marketplaceLicenseArn).toBe('arn:aws:license-manager::123456789012:license:l-1');
    const file = join(mkdtempSync(join(tmpdir(), 'invoice-')), 'invoice.json');
    writeInvoice(file, [line]);
    const written = JSON.parse(readFileSync(file, 'utf8')) as { lines: { charges: { requests: { tiers: { quantity: number }[] } } }[] };
    expect(written.lines[0].charges.requests.tiers.map((t) => t.quantity)).toEqual([100_000, 100_000]);
  });

  it('refuses a customer whose plan has no price, naming both', () => {
    const unpriced: InvoiceCustomer[] = [{ id: 'a', plan: 'gold', billing: {} }];
    expect(() => invoiceLines(usageOf([{ id: 'a', requests: 1, bytesOut: 0 }]), unpriced, prices, run)).toThrow(
      'invoice lines: customer "a" has plan "gold", which has no price',
    );
  });

  it('writes small GB figures in plain decimals, never with an exponent', () => {
    const csv = invoiceCsv(invoiceLines(usageOf([{ id: 'a', requests: 1, bytesOut: 987 }]), customers, prices, run)).split('\r\n');
    expect(csv[1].split(',')[11]).toBe('0.000000987');
  });

  it('names corrections carried from an earlier month on the line of the customer they were billed to, in CSV too', () => {
    const carried = [
      { customerId: 'a', fromMonth: '2026-10', meter: 'requests' as const, quantity: 120 },
      { customerId: 'a', fromMonth: '2026-10', meter: 'bytesOut' as const, quantity: 5000 },
      { customerId: 'b', fromMonth: '2026-10', meter: 'requests' as const, quantity: -7 },
      { customerId: 't', fromMonth: '2026-10', meter: 'bytesOut' as const, quantity: 0 },
    ];
    const lines = invoiceLines(
      usageOf([
        { id: 'a', requests: 2010, bytesOut: 0 },
        { id: 't', requests: 1, bytesOut: 0 },
      ]),
      customers,
      prices,
      run,
      carried,
    );
    expect(lines.map((l) => [l.customerId, l.requests, l.amount, l.carriedCorrections])).toEqual([
      ['a', 2010, 1.01, 'requests +120 from 2026-10; bytesOut +5000 from 2026-10'], // this month's amount is unchanged
      ['t', 1, 0, ''], // within its included requests
      ['b', 0, 0, 'requests -7 from 2026-10'], // no usage line this month: one for the correction
    ]);
    const csv = invoiceCsv(lines).split('\r\n');
    expect(csv[1].endsWith(',USD,requests +120 from 2026-10; bytesOut +5000 from 2026-10')).toBe(true);
  });

  it('is final only once the month and its late window are over', () => {
    expect(invoiceStatus('2026-11', { now: new Date('2026-12-02T23:59:59Z'), lateWindowHours: 48 })).toBe('month-to-date');
    expect(invoiceStatus('2026-11', { now: new Date('2026-12-03T00:00:00Z'), lateWindowHours: 48 })).toBe('final');
    expect(invoiceStatus('2026-12', { now: new Date('2027-01-01T05:00:00Z'), lateWindowHours: 4 })).toBe('final');
  });
});
