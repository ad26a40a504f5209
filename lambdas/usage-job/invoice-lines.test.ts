import { invoiceCsv, invoiceLines } from './invoice-lines';
import type { MonthUsage } from './usage-publisher';

const prices = { currency: 'USD', perThousandRequests: 0.5, perGbOut: 0.09 };

function usageOf(keys: { id: string; requests: number; bytesOut: number }[]): MonthUsage {
  return {
    month: '2026-11',
    keys: keys.map((k) => ({ ...k, name: `${k.id} Corp`, rejected: 0, errors: 0, bytesIn: 0, quota: 1_000_000, quotaUsedPercent: (100 * k.requests) / 1_000_000 })),
    unattributed: { requests: 0 },
    totalRequests: keys.reduce((sum, k) => sum + k.requests, 0),
  };
}

describe('invoice lines', () => {
  it('rounds half a cent up, also where binary floating point lands just below it', () => {
    // 2,010 requests at 0.50 per thousand = 1.005; 0.5 GB at 0.09 per GB = 0.045; 2,030 requests = 1.015
    const [a, b] = invoiceLines(usageOf([{ id: 'a', requests: 2010, bytesOut: 500_000_000 }, { id: 'b', requests: 2030, bytesOut: 0 }]), prices);
    expect([a.requestsAmount, a.bytesOutAmount, a.amount]).toEqual([1.01, 0.05, 1.06]);
    expect([b.requestsAmount, b.bytesOutAmount, b.amount]).toEqual([1.02, 0, 1.02]);
  });

  it('writes one CSV row per key, amounts in cents', () => {
    const csv = invoiceCsv(invoiceLines(usageOf([{ id: 'a', requests: 2010, bytesOut: 1_500_000_000 }]), prices)).split('\r\n');
    expect(csv[1]).toBe('2026-11,a,a Corp,2010,1500000000,1.5,0.5,0.09,1.01,0.14,1.15,USD');
  });
});
