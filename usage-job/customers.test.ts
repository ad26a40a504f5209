/** Customers from the key registry and the month's figures per customer (attribution rules of customers.ts). */
import { REGISTRY_FORMAT, type RegistryDocument } from '../keys/registry';
import { customersFromRegistry, CustomersError } from './customers';
import { monthUsage } from './month-usage';
import type { HourlyUsageRow } from './types';

const A1 = 'aaaaaaaaaaaaaaa1'; // acme's first key: rotated, grace ended 2026-11-10T12:30
const A2 = 'aaaaaaaaaaaaaaa2'; // acme's current key
const G1 = 'bbbbbbbbbbbbbbb1'; // globex's only key: revoked 2026-11-05T08:10
const P1 = 'ccccccccccccccc1'; // initech: a create that has not finished (pending)
const UNKNOWN = 'fffffffffffffff0';
const at = '2026-10-01T00:00:00.000Z';

const doc: RegistryDocument = {
  format: REGISTRY_FORMAT,
  environment: 'local',
  revision: 7,
  updatedAt: at,
  customers: {
    acme: {
      id: 'acme',
      customer: 'Acme Corp',
      plan: 'pro',
      createdAt: at,
      billing: { stripeCustomerId: 'cus_acme' },
      origin: 'cli',
      keys: [
        { fingerprint: A1, apiKeyId: 'k1', apiKeyName: 'n1', state: 'revoked', createdAt: at, revokedAt: '2026-11-10T12:30:00.000Z' },
        { fingerprint: A2, apiKeyId: 'k2', apiKeyName: 'n2', state: 'active', createdAt: at },
      ],
    },
    globex: {
      id: 'globex',
      customer: 'Globex Inc',
      plan: 'basic',
      createdAt: at,
      revokedAt: '2026-11-05T08:10:00.000Z',
      billing: {},
      origin: 'cli',
      keys: [{ fingerprint: G1, apiKeyId: 'k3', apiKeyName: 'n3', state: 'revoked', createdAt: at, revokedAt: '2026-11-05T08:10:00.000Z' }],
    },
    initech: {
      id: 'initech',
      customer: 'Initech',
      plan: 'basic',
      createdAt: at,
      billing: {},
      origin: 'cli',
      keys: [{ fingerprint: P1, apiKeyName: 'n4', state: 'pending', createdAt: at }],
      pending: { kind: 'create', fingerprint: P1, startedAt: at },
    },
  },
};
const plans = { basic: { monthlyQuota: 100 }, pro: { monthlyQuota: 1000 } };

const row = (hour: string, fp: string | null, requests: number, rejected = 0, errors = 0, month = hour.slice(0, 7)): HourlyUsageRow => ({
  hour,
  month,
  apikeyFp: fp,
  requests,
  rejected,
  errors,
  total: requests + rejected + errors,
  bytesOut: 10 * requests,
  bytesIn: requests,
});

test('customers carry their plan quota, every key fingerprint, the hour a key stopped and its API Gateway id', () => {
  expect(customersFromRegistry(doc, plans, 'registry.json')).toEqual([
    {
      id: 'acme',
      name: 'Acme Corp',
      plan: 'pro',
      quota: 1000,
      revoked: false,
      keys: [
        { fingerprint: A1, stoppedInHour: '2026-11-10T12', apiKeyId: 'k1' },
        { fingerprint: A2, apiKeyId: 'k2' },
      ],
      billing: { stripeCustomerId: 'cus_acme' },
    },
    {
      id: 'globex',
      name: 'Globex Inc',
      plan: 'basic',
      quota: 100,
      revoked: true,
      keys: [{ fingerprint: G1, stoppedInHour: '2026-11-05T08', apiKeyId: 'k3' }],
      billing: {},
    },
    { id: 'initech', name: 'Initech', plan: 'basic', quota: 100, revoked: false, keys: [{ fingerprint: P1 }], billing: {} },
  ]);
});

test('a plan the environment does not deploy fails the run in one line', () => {
  expect(() => customersFromRegistry(doc, { basic: plans.basic }, 'registry.json')).toThrow(
    new CustomersError(
      'registry registry.json: customer "acme" has plan "pro", which this environment does not deploy (plans: basic); deploy the plan or run keys set-plan',
    ),
  );
});

test('per customer over its keys; a stopped key bills up to its stop hour, then counts as rejected; unknown fingerprints unattributed', () => {
  const customers = customersFromRegistry(doc, plans, 'registry.json');
  const usage = monthUsage(
    '2026-11',
    [
      row('2026-11-10T11', A1, 5, 1), // before the grace ended: billed
      row('2026-11-10T12', A1, 2), // the hour it ended in: as the logs say
      row('2026-11-10T13', A1, 3, 4, 1), // after: 8 rejected, nothing billed
      row('2026-11-10T13', A2, 7, 0, 1),
      row('2026-11-05T07', G1, 4),
      row('2026-11-05T09', G1, 1, 6), // revoked customer, later hour: 7 rejected
      row('2026-11-06T00', P1, 2), // a pending key bills (nobody has its value, but were it used, it bills)
      row('2026-11-06T00', UNKNOWN, 3, 2),
      row('2026-11-06T00', null, 0, 9),
      row('2026-10-31T23', A2, 50, 0, 0, '2026-10'), // October's: not November's
    ],
    customers,
  );
  expect(usage).toEqual({
    month: '2026-11',
    keys: [
      { id: 'acme', name: 'Acme Corp', requests: 14, rejected: 9, errors: 1, bytesOut: 140, bytesIn: 14, quota: 1000, quotaUsedPercent: 1.4 },
      { id: 'globex', name: 'Globex Inc', requests: 4, rejected: 7, errors: 0, bytesOut: 40, bytesIn: 4, quota: 100, quotaUsedPercent: 4 },
      { id: 'initech', name: 'Initech', requests: 2, rejected: 0, errors: 0, bytesOut: 20, bytesIn: 2, quota: 100, quotaUsedPercent: 2 },
    ],
    unattributed: { requests: 14 },
    totalRequests: 6 + 2 + 8 + 8 + 4 + 7 + 2 + 5 + 9,
  });
});

test('a revoked customer without traffic in the month is not reported; live customers always are', () => {
  const usage = monthUsage('2026-12', [], customersFromRegistry(doc, plans, 'registry.json'));
  expect(usage.keys.map((k) => k.id)).toEqual(['acme', 'initech']);
});
