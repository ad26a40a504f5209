/** Per-customer hourly figures: attribution as month-usage.ts, hours moved into the month they are billed in. */
import { customerHours, usageHourOf } from './customer-hours';
import { oneKeyCustomer, type BilledCustomer } from './customers';
import { monthUsage } from './month-usage';
import type { HourlyUsageRow } from './types';

const row = (hour: string, month: string, apikeyFp: string | null, requests: number, bytesOut = requests * 100): HourlyUsageRow => ({
  hour,
  month,
  apikeyFp,
  requests,
  rejected: 1,
  errors: 1,
  total: requests + 2,
  bytesOut,
  bytesIn: 10,
});

const acme = oneKeyCustomer('acme', 'Acme', 'aaaaaaaaaaaaaaaa', 1000);
const globexRevoked: BilledCustomer = {
  ...oneKeyCustomer('globex', 'Globex', 'bbbbbbbbbbbbbbbb', 1000),
  keys: [{ fingerprint: 'bbbbbbbbbbbbbbbb', stoppedInHour: '2026-11-03T10' }],
};

test('usage hours stay inside the month the row is billed in', () => {
  expect(usageHourOf({ hour: '2026-10-31T23', month: '2026-11' })).toBe('2026-11-01T00');
  expect(usageHourOf({ hour: '2026-12-01T00', month: '2026-11' })).toBe('2026-11-30T23');
  expect(usageHourOf({ hour: '2026-11-15T07', month: '2026-11' })).toBe('2026-11-15T07');
});

test('sums per customer and usage hour, leaves out unattributed, other months and stopped keys, and agrees with monthUsage', () => {
  const rows = [
    row('2026-10-31T23', '2026-11', 'aaaaaaaaaaaaaaaa', 2),
    row('2026-11-01T00', '2026-11', 'aaaaaaaaaaaaaaaa', 3),
    row('2026-11-01T00', '2026-10', 'aaaaaaaaaaaaaaaa', 50),
    row('2026-11-03T10', '2026-11', 'bbbbbbbbbbbbbbbb', 4),
    row('2026-11-03T11', '2026-11', 'bbbbbbbbbbbbbbbb', 9),
    row('2026-11-03T11', '2026-11', 'cccccccccccccccc', 7),
    row('2026-11-03T11', '2026-11', null, 7),
    row('2026-12-01T00', '2026-11', 'aaaaaaaaaaaaaaaa', 1),
  ];
  const hours = customerHours('2026-11', rows, [acme, globexRevoked]);
  expect(hours).toEqual([
    { customerId: 'acme', hour: '2026-11-01T00', requests: 5, bytesOut: 500 },
    { customerId: 'globex', hour: '2026-11-03T10', requests: 4, bytesOut: 400 },
    { customerId: 'acme', hour: '2026-11-30T23', requests: 1, bytesOut: 100 },
  ]);
  const month = monthUsage('2026-11', rows, [acme, globexRevoked]);
  for (const key of month.keys) {
    const mine = hours.filter((h) => h.customerId === key.id);
    expect(mine.reduce((s, h) => s + h.requests, 0)).toBe(key.requests);
    expect(mine.reduce((s, h) => s + h.bytesOut, 0)).toBe(key.bytesOut);
  }
});
