import { invoiceCsv, invoiceLines, invoiceStatus } from './invoice-lines';
import type { MonthUsage } from './month-figures';

const prices = { currency: 'USD', perThousandRequests: 0.5, perGbOut: 0.09 };
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
      prices,
      run,
    );
    expect([a.requestsAmount, a.bytesOutAmount, a.amount]).toEqual([1.01, 0.05, 1.06]);
    expect([b.requestsAmount, b.bytesOutAmount, b.amount]).toEqual([1.02, 0, 1.02]);
  });

  it('writes one CSV row per key, amounts in cents', () => {
    const csv = invoiceCsv(invoiceLines(usageOf([{ id: 'a', requests: 2010, bytesOut: 1_500_000_000 }]), prices, run)).split('\r\n');
    expect(csv[1]).toBe('2026-11,month-to-date,2026-11-20T10:15:00.000Z,a,a Corp,2010,1500000000,1.5,0.5,0.09,1.01,0.14,1.15,USD');
  });

  it('writes small GB figures in plain decimals, never with an exponent', () => {
    const csv = invoiceCsv(invoiceLines(usageOf([{ id: 'a', requests: 1, bytesOut: 987 }]), prices, run)).split('\r\n');
    expect(csv[1].split(',')[7]).toBe('0.000000987');
  });

  it('is final only once the month and its late window are over', () => {
    expect(invoiceStatus('2026-11', { now: new Date('2026-12-02T23:59:59Z'), lateWindowHours: 48 })).toBe('month-to-date');
    expect(invoiceStatus('2026-11', { now: new Date('2026-12-03T00:00:00Z'), lateWindowHours: 48 })).toBe('final');
    expect(invoiceStatus('2026-12', { now: new Date('2027-01-01T05:00:00Z'), lateWindowHours: 4 })).toBe('final');
  });
});
