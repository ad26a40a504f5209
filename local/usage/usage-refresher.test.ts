import type { MonthUsage } from '../../usage-job/month-figures';
import type { PublishRequest, PublishResult, UsagePublisher } from '../../usage-job/usage-publisher';
import { apiKeyFingerprint } from '../../contracts/api-key';
import { oneKeyCustomer } from '../../usage-job/customers';
import { UsageRefresher, type UsageRun } from './usage-refresher';

const fp = apiKeyFingerprint('A'.repeat(40));
const customers = [oneKeyCustomer('acme', 'Acme', fp, 100)];

function usage(requests: number): MonthUsage {
  return {
    month: '2026-11',
    keys: [{ id: 'acme', name: 'Acme', requests, rejected: 0, errors: 0, bytesOut: 0, bytesIn: 0, quota: 100, quotaUsedPercent: requests }],
    unattributed: { requests: 0 },
    totalRequests: requests,
  };
}

function setup(publisher?: UsagePublisher) {
  let onDisk = 0;
  let buffered = 0;
  const errors: string[] = [];
  const refresher = new UsageRefresher({
    logRoot: '/logs',
    flushLogs: async () => {
      onDisk += buffered;
      buffered = 0;
    },
    logRecords: () => onDisk,
    run: async (): Promise<UsageRun> => ({
      usage: usage(onDisk),
      rows: [{ hour: '2026-11-28T03', month: '2026-11', apikeyFp: fp, requests: onDisk, rejected: 0, errors: 0, total: onDisk, bytesOut: 0, bytesIn: 0 }],
      customers,
      registry: { location: '/state/registry.json', revision: 1 },
    }),
    publisher,
    quotaThresholds: [80, 100],
    now: () => new Date('2026-11-28T03:30:00Z'),
    onError: (m) => errors.push(m),
  });
  return { refresher, add: (n: number) => (buffered += n), errors };
}

test('a refresh flushes first, so its figures include every record added before it was asked', async () => {
  const { refresher, add } = setup();
  add(3);
  const first = refresher.refresh();
  add(2); // arrives while the first run is under way: the second refresh must see it
  const second = refresher.refresh();
  expect((await first).usage.keys[0].requests).toBeGreaterThanOrEqual(3);
  expect((await second).usage.keys[0].requests).toBe(5);
  expect(refresher.latest?.hours).toEqual([{ hour: '2026-11-28T03', requestsByKey: { acme: 5 } }]);
  expect(refresher.latest?.logRecords).toBe(5);
});

test('metrics are published when the figures change, at the run hour; a failing publish is reported, the page still updates', async () => {
  const published: PublishRequest[] = [];
  let fail = false;
  const publisher: UsagePublisher = {
    publish: async (request): Promise<PublishResult> => {
      if (fail) throw new Error('endpoint down');
      published.push(request);
      return { metricDataPut: 1, keysPublished: 1 };
    },
  };
  const { refresher, add, errors } = setup(publisher);
  add(1);
  await refresher.refresh();
  await refresher.refresh(); // unchanged: not published again
  expect(published.map((p) => [p.usage.keys[0].requests, p.timestamp.toISOString()])).toEqual([[1, '2026-11-28T03:00:00.000Z']]);
  fail = true;
  add(1);
  const snapshot = await refresher.refresh();
  expect(snapshot.usage.keys[0].requests).toBe(2);
  expect(errors).toEqual(['publishing metrics failed: endpoint down']);
  fail = false;
  await refresher.refresh(); // the unpublished change goes out on the next run
  expect(published.map((p) => p.usage.keys[0].requests)).toEqual([1, 2]);
});
