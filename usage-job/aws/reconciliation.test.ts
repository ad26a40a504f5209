/**
 * Reconciliation with API Gateway. moto 5.2.5 does not implement GetUsage (no get_usage in
 * moto/apigateway), so the real SDK client talks over HTTP to a small GetUsage server on
 * 127.0.0.1 that answers in the documented wire shape ({"values": {keyId: [[used, remaining]...]},
 * "position"}), paging by `position`.
 */
import type { HourlyUsageRow } from '../types';
import { apiGatewayClient } from './clients';
import {
  ApiGatewayReconciler,
  apiGatewayUsageApi,
  dailyLogRequests,
  lastCompleteDay,
  logShortfall,
  reconcileMonth,
  reconciliationDays,
  type ApiGatewayUsageApi,
} from './reconciliation';
import { getUsageServer } from './testing/get-usage-server';

const row = (hour: string, fp: string | null, requests: number, month = hour.slice(0, 7)): HourlyUsageRow => ({
  hour,
  month,
  apikeyFp: fp,
  requests,
  rejected: 0,
  errors: 0,
  total: requests,
  bytesOut: 0,
  bytesIn: 0,
});

const ACME = { id: 'acme', fingerprint: 'aaaaaaaaaaaaaaaa', keys: [{ fingerprint: 'aaaaaaaaaaaaaaaa', apiKeyId: 'key-acme' }] };
const GLOBEX = { id: 'globex', fingerprint: 'bbbbbbbbbbbbbbbb', keys: [{ fingerprint: 'bbbbbbbbbbbbbbbb', apiKeyId: 'key-globex' }] };
const PLANS = ['plan-pro', 'plan-basic'];
const rows = [
  row('2026-11-01T00', ACME.fingerprint, 10),
  row('2026-10-31T23', ACME.fingerprint, 2, '2026-11'), // a November record in October's last partition
  row('2026-11-02T13', ACME.fingerprint, 5),
  row('2026-11-02T14', GLOBEX.fingerprint, 7),
  row('2026-11-03T08', GLOBEX.fingerprint, 1),
  row('2026-11-03T09', null, 50), // unattributed: never reconciled
  row('2026-10-31T22', ACME.fingerprint, 99, '2026-10'), // October's own traffic
];

describe('reconciliation with API Gateway GetUsage over HTTP', () => {
  const server = getUsageServer(
    {
      'plan-pro': {
        'key-acme': { '2026-11-01': 12, '2026-11-02': 5 },
        'key-other': { '2026-11-01': 1, '2026-11-02': 1, '2026-11-03': 1 },
        'key-third': {},
      },
      'plan-basic': { 'key-globex': { '2026-11-02': 6, '2026-11-03': 1 } },
    },
    2,
  );
  let api: ApiGatewayUsageApi;
  beforeAll(async () => {
    const endpoint = await server.start();
    api = apiGatewayUsageApi(apiGatewayClient({ region: 'eu-west-1', endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }));
  });
  afterAll(() => server.stop());

  it('compares per customer and day, follows position across pages, and sums the month-to-date gap', async () => {
    const reports = await reconcileMonth({
      api,
      customers: [ACME, GLOBEX],
      usagePlanIds: PLANS,
      month: '2026-11',
      rows,
      today: new Date('2026-11-03T10:20:00Z'),
    });

    expect(reports).toEqual([
      {
        id: 'acme',
        logRequests: 17,
        apiGatewayRequests: 17,
        gap: 0,
        days: [
          { date: '2026-11-01', logRequests: 12, logMeteredRequests: 12, apiGatewayRequests: 12, gap: 0 },
          { date: '2026-11-02', logRequests: 5, logMeteredRequests: 5, apiGatewayRequests: 5, gap: 0 },
          { date: '2026-11-03', logRequests: 0, logMeteredRequests: 0, apiGatewayRequests: 0, gap: 0 },
        ],
      },
      {
        id: 'globex',
        logRequests: 8,
        apiGatewayRequests: 7,
        gap: 1,
        days: [
          { date: '2026-11-01', logRequests: 0, logMeteredRequests: 0, apiGatewayRequests: 0, gap: 0 },
          { date: '2026-11-02', logRequests: 7, logMeteredRequests: 7, apiGatewayRequests: 6, gap: 1 },
          { date: '2026-11-03', logRequests: 1, logMeteredRequests: 1, apiGatewayRequests: 1, gap: 0 },
        ],
      },
    ]);
    const pro = server.requests.filter((r) => r.path === '/usageplans/plan-pro/usage');
    expect(pro.map((r) => r.query.position)).toEqual([undefined, '2']);
    expect(pro[0].query).toMatchObject({ startDate: '2026-11-01', endDate: '2026-11-03', limit: '500' });
  });

  it("sums a customer's keys in every plan; a stopped key's later rows are neither billed nor metered", async () => {
    // Acme rotated: key-acme (aaaa...) stopped in hour 2026-11-02T13; key-other (cccc...) carries on, in plan-pro.
    const rotated = {
      id: 'acme',
      keys: [
        { fingerprint: 'aaaaaaaaaaaaaaaa', apiKeyId: 'key-acme', stoppedInHour: '2026-11-02T13' },
        { fingerprint: 'cccccccccccccccc', apiKeyId: 'key-other' },
      ],
    };
    const late = [...rows, { ...row('2026-11-02T15', 'aaaaaaaaaaaaaaaa', 4), rejected: 3 }, row('2026-11-03T01', 'cccccccccccccccc', 1)];
    const [report] = await reconcileMonth({
      api,
      customers: [rotated],
      usagePlanIds: PLANS,
      month: '2026-11',
      rows: late,
      today: new Date('2026-11-03T10:20:00Z'),
    });
    expect(report.days).toEqual([
      { date: '2026-11-01', logRequests: 12, logMeteredRequests: 12, apiGatewayRequests: 13, gap: -1 },
      // the stopped key's 4 + 3 requests of 15:00 are in neither column
      { date: '2026-11-02', logRequests: 5, logMeteredRequests: 5, apiGatewayRequests: 6, gap: -1 },
      { date: '2026-11-03', logRequests: 1, logMeteredRequests: 1, apiGatewayRequests: 1, gap: 0 },
    ]);
  });

  it('names the usage plan when API Gateway refuses it', async () => {
    await expect(
      reconcileMonth({ api, customers: [ACME], usagePlanIds: ['plan-gone'], month: '2026-11', rows, today: new Date('2026-11-03T10:00:00Z') }),
    ).rejects.toThrow('API Gateway GetUsage of usage plan plan-gone failed: NotFoundException: Invalid Usage Plan ID specified');
  });

  it('as the publisher reconciler, refuses rollups that disagree with the figures being published', async () => {
    const usage = (requests: number) => ({
      month: '2026-11',
      keys: [{ id: 'acme', name: 'Acme', requests, rejected: 0, errors: 0, bytesOut: 0, bytesIn: 0, quota: 100, quotaUsedPercent: requests }],
      unattributed: { requests: 0 },
      totalRequests: requests,
    });
    const reconciler = new ApiGatewayReconciler(api, [ACME], ['plan-pro'], async () => rows);
    const at = new Date('2026-11-03T10:00:00Z');
    await expect(reconciler.reconcile(usage(17), at)).resolves.toEqual({
      keys: [{ id: 'acme', logRequests: 17, apiGatewayRequests: 17, gap: 0 }],
      // the last complete day is 2 November: API Gateway metered 5, the logs hold 5 records
      lastCompleteDay: { day: '2026-11-02', apiGatewayRequests: 5, logRequests: 5, shortfallPercent: 0 },
    });
    await expect(reconciler.reconcile(usage(18), at)).rejects.toThrow('customer acme: rollups hold 17 billable requests but the run computed 18');
  });
});

describe('log shortfall (environment, last complete UTC day)', () => {
  const report = (id: string, days: [string, number, number][]) => ({
    id,
    logRequests: 0,
    apiGatewayRequests: 0,
    gap: 0,
    days: days.map(([date, logMeteredRequests, apiGatewayRequests]) => ({ date, logRequests: 0, logMeteredRequests, apiGatewayRequests, gap: 0 })),
  });

  it('sums every key on that day: API Gateway metered against log records with a 2xx-5xx status', () => {
    const reports = [report('a', [['2026-11-02', 600, 1000]]), report('b', [['2026-11-02', 300, 200]])];
    expect(logShortfall(reports, '2026-11-02', 1)).toEqual({ day: '2026-11-02', apiGatewayRequests: 1200, logRequests: 900, shortfallPercent: 25 });
    // logs holding more than API Gateway (its own 429s are logged, not metered) is no shortfall
    expect(logShortfall([report('a', [['2026-11-02', 1500, 1000]])], '2026-11-02', 1).shortfallPercent).toBe(0);
    // below the minimum volume there is no figure
    expect(logShortfall(reports, '2026-11-02', 5000).shortfallPercent).toBeNull();
  });

  it('compares the day before the run, within the month; none on the first day of the month', () => {
    expect(lastCompleteDay('2026-11', new Date('2026-11-03T00:17:00Z'))).toBe('2026-11-02');
    expect(lastCompleteDay('2026-11', new Date('2026-11-01T10:00:00Z'))).toBeNull();
    expect(lastCompleteDay('2026-11', new Date('2026-12-02T00:17:00Z'))).toBe('2026-11-30');
  });

  it('a record counted for its metered status: rejected and errors count, like API Gateway', async () => {
    const rows2 = [{ ...row('2026-11-02T10', ACME.fingerprint, 3), rejected: 2, errors: 1 }];
    const perDay = dailyLogRequests(rows2, '2026-11', ACME.keys, ['2026-11-01', '2026-11-02'], (f) => f.metered);
    expect(perDay.get('2026-11-02')).toBe(6);
  });
});

describe('reconciliation days', () => {
  it('runs from the first of the month to today, or to the month end for a closed month', () => {
    expect(reconciliationDays('2026-11', new Date('2026-11-03T23:59:00Z'))).toEqual(['2026-11-01', '2026-11-02', '2026-11-03']);
    expect(reconciliationDays('2026-02', new Date('2026-03-01T01:00:00Z'))).toHaveLength(28);
    expect(reconciliationDays('2026-12', new Date('2026-11-30T00:00:00Z'))).toEqual([]);
  });

  it('puts a record of the month found in the next month partition on the month last day', () => {
    const days = reconciliationDays('2026-11', new Date('2026-12-01T03:00:00Z'));
    const perDay = dailyLogRequests([row('2026-12-01T00', 'f', 4, '2026-11'), row('2026-11-30T10', 'f', 1)], '2026-11', [{ fingerprint: 'f' }], days);
    expect(perDay.get('2026-11-30')).toBe(5);
    expect([...perDay.values()].reduce((a, b) => a + b, 0)).toBe(5);
  });
});
