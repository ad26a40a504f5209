/**
 * Billing export end to end (issue 19, first "Done when"): the usage CLI runs hour by hour over two
 * days of generated CloudFront Parquet logs, with duplicate records across files, files that arrive
 * 20 hours after their hour was exported (into the old hour's partition) and runs where a sink dies
 * between its sends and its ledger write. Both billing sinks are the real ones (built from the
 * local environment's `sinks` config, their ledgers in the run's --state folder): Stripe against
 * its stateful fake over HTTP, Marketplace against its fake with the published rules.
 *
 * At the end, per customer and hour: Stripe's recorded meter events sum to the rollups the CLI
 * computed, and the Marketplace accepted each (customer, dimension, hour) once with quantities that
 * sum to the rollups in whole units (docs/marketplace.md: cumulative figures floored; late units
 * carried to the next open hour). The rollups themselves equal the figures of the generated records.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MarketplaceSinkConfig } from '../../config/marketplace-sink';
import type { StripeSinkConfig } from '../../config/stripe-sink';
import { apiKeyFingerprint } from '../../contracts/api-key';
import type { BillingIds } from '../../keys/registry';
import { writeLogFile, type LogRecord } from '../../sql/log-writer';
import { addHours, hourStart, type HourId } from '../../sql/hours';
import { logRecord } from '../../sql/testing/log-fixtures';
import { main, type CliDependencies } from '../cli';
import type { EnvironmentConfig } from '../../config/types';
import { recordingPublishing } from '../testing/cli-workspace';
import type { PublishRequest } from '../usage-publisher';
import { writeRegistryFile } from '../testing/registry';
import { createMarketplaceSink } from './marketplace/index';
import type { BatchMeterUsageRequest, BatchMeterUsageResult, MeteringApi } from './marketplace/metering-api';
import { readMarketplaceRecords } from './marketplace/ledger';
import { FakeMarketplace } from './marketplace/testing/fake-marketplace';
import { SINK_FACTORIES, type SinkContext } from './index';
import type { CustomerHourFigures, SinkLedgerStore, SinkReport, UsageSink } from './sink';
import { StripeFake } from './stripe/testing/stripe-fake';
import { DEFAULT_SHARDS, shardOf } from './sharded-ledger';
import { RecordingSink } from './testing/fake-sinks';

const ACCOUNT = '000000000000';
const DIST = 'E7BILLINGE2E';
const MONTH = '2026-11';
const FIRST_HOUR: HourId = '2026-11-10T00';
const LOG_HOURS = 48;
/** Hourly runs at HH:10 until every hour is past the Marketplace's 2-hour readiness (config default). */
const RUNS = LOG_HOURS + 4;
const LATE_BY_HOURS = 20;
const BYTES_PER_UNIT = 1_000_000_000;

const STRIPE: StripeSinkConfig = {
  requestsEventName: 'api_requests',
  bytesEventName: 'api_bytes_out',
  requestsMeterId: 'mtr_requests',
  bytesMeterId: 'mtr_bytes',
  invoiceGraceHours: 24,
  apiKeySecretName: 'usage/stripe-api-key',
};
const MARKETPLACE: MarketplaceSinkConfig = {
  productCode: 'prod-e2e0001',
  identity: 'license',
  region: 'us-east-1',
  dimensions: { requests: { name: 'requests', requestsPerUnit: 1 }, bytesOut: { name: 'gb_out', bytesPerUnit: BYTES_PER_UNIT } },
};

interface TestCustomer {
  readonly id: string;
  readonly value: string;
  readonly billing: BillingIds;
}
const license = (n: number) => `arn:aws:license-manager::${ACCOUNT}:license:l-0000000${n}`;
const CUSTOMERS: readonly TestCustomer[] = [
  {
    id: 'acme',
    value: 'acme-live-key-0123456789abcdef',
    billing: { marketplaceCustomerAwsAccountId: '100000000001', marketplaceLicenseArn: license(1) },
  },
  {
    id: 'globex',
    value: 'globex-live-key-9876543210fedcba',
    billing: { marketplaceCustomerAwsAccountId: '100000000002', marketplaceLicenseArn: license(2) },
  },
  { id: 'initech', value: 'initech-live-key-aaaaaaaaaaaaaaaa', billing: { stripeCustomerId: 'cus_initech' } },
  { id: 'umbrella', value: 'umbrella-live-key-bbbbbbbbbbbbbbbb', billing: { stripeCustomerId: 'cus_umbrella' } },
];
/** One billing channel per customer (keys/registry.ts billingChannel): each sink bills only its own. */
const STRIPE_CUSTOMERS = CUSTOMERS.filter((c) => c.billing.stripeCustomerId !== undefined);
const MARKETPLACE_CUSTOMERS = CUSTOMERS.filter((c) => c.billing.marketplaceLicenseArn !== undefined);

/** Hours whose late file arrives 20 hours after the hour, i.e. long after it was first exported. */
const LATE_HOURS: readonly HourId[] = ['2026-11-10T02', '2026-11-10T05', '2026-11-10T20', '2026-11-11T03'];
/** Runs (by index) in which a sink dies after sending, before its ledger write: the first shard write after its intents fails. */
const CRASHES: ReadonlyMap<number, readonly string[]> = new Map([
  [6, ['stripe']],
  [9, ['marketplace']],
  [lateRun(LATE_HOURS[1]!), ['stripe', 'marketplace']],
]);

/** Run i runs at hour i + 1 (HH:10), after the file of hour i arrived; so the late file of hour h arrives before run h + 19. */
function lateRun(hour: HourId): number {
  return (hourStart(hour).getTime() - hourStart(FIRST_HOUR).getTime()) / 3_600_000 + LATE_BY_HOURS - 1;
}

/** A small deterministic generator (mulberry32), so every run of the test has the same logs. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What the files of one hour hold: each distinct request once, whichever files carry it. */
interface HourLogs {
  readonly onTime: LogRecord[];
  readonly late: LogRecord[];
  /** Billable figures of the distinct requests per customer: the oracle the rollups must match. */
  readonly expected: Map<string, { requests: number; bytesOut: number }>;
}

function generateHour(hour: HourId, next: () => number): HourLogs {
  const logs: HourLogs = { onTime: [], late: [], expected: new Map() };
  const isLate = LATE_HOURS.includes(hour);
  for (const c of CUSTOMERS) {
    const count = 1 + Math.floor(next() * 6);
    for (let i = 0; i < count; i++) {
      const status = next() < 0.15 ? (next() < 0.5 ? 429 : 503) : 200;
      const bytesOut = 50_000_000 + Math.floor(next() * 350_000_000);
      const record = logRecord({ at: `${hour}:${String(i * 7 + 1).padStart(2, '0')}:13Z`, logData: apiKeyFingerprint(c.value), status, bytesOut });
      (isLate && i % 2 === 1 ? logs.late : logs.onTime).push(record);
      if (status === 200) {
        const sum = logs.expected.get(c.id) ?? { requests: 0, bytesOut: 0 };
        sum.requests += 1;
        sum.bytesOut += bytesOut;
        logs.expected.set(c.id, sum);
      }
    }
  }
  logs.onTime.push(logRecord({ at: `${hour}:30:00Z` })); // unattributed: never billed
  // The late file also re-delivers records already counted from the on-time file.
  if (isLate) logs.late.push(...logs.onTime.slice(0, 3));
  return logs;
}

/**
 * Kills the chosen sinks at a chosen write: that write and every later one of the sink in the run
 * fail, as a process killed after its sends and before its ledger checkpoint would leave things.
 */
class CrashingLedgers implements SinkLedgerStore {
  private armed = new Map<string, number>();
  private readonly dead = new Set<string>();
  constructor(
    private readonly inner: SinkLedgerStore,
    /** Sinks whose ledger is sharded: only their shard writes are counted. */
    private readonly sharded: ReadonlySet<string>,
  ) {}
  /** `writes[sink]`: the write (1-based, counted from now) at which the sink dies; an empty map revives all. */
  arm(writes: ReadonlyMap<string, number>): void {
    this.armed = new Map(writes);
    this.dead.clear();
  }
  location(sink: string, month: string, part?: string): string {
    return this.inner.location(sink, month, part);
  }
  read<T>(sink: string, month: string, part?: string) {
    return this.inner.read<T>(sink, month, part);
  }
  async write<T>(sink: string, month: string, body: T, expected: string | undefined, part?: string): Promise<string> {
    const left = this.armed.get(sink);
    if (left !== undefined && (part !== undefined || !this.sharded.has(sink))) {
      if (left === 1) {
        this.armed.delete(sink);
        this.dead.add(sink);
      } else this.armed.set(sink, left - 1);
    }
    if (this.dead.has(sink)) throw new Error(`simulated crash of ${sink} before its ledger write`);
    return this.inner.write(sink, month, body, expected, part);
  }
}

/** The shard write at which a sink sharded by customer dies after its sends: the one after the first checkpoint's shards (the intents). */
const afterSends = (ids: readonly string[]): number => new Set(ids.map((id) => shardOf(id, DEFAULT_SHARDS))).size + 1;

/** The Marketplace fake, keeping every record it was sent and its answer. */
class RecordingMarketplace implements MeteringApi {
  readonly sent: { key: string; quantity: number; status: string }[] = [];
  constructor(readonly fake: FakeMarketplace) {}
  async batchMeterUsage(request: BatchMeterUsageRequest): Promise<BatchMeterUsageResult> {
    const result = await this.fake.batchMeterUsage(request);
    for (const r of result.Results ?? []) {
      const u = r.UsageRecord!;
      this.sent.push({ key: `${u.LicenseArn} ${u.Dimension} ${u.Timestamp!.toISOString()}`, quantity: u.Quantity ?? 0, status: r.Status ?? '' });
    }
    return result;
  }
}

interface Report {
  readonly sinks: SinkReport[];
  readonly run: { readonly sinks: 'ok' | 'partial' };
}

let dir: string;
let logs: string;
let registryFile: string;
let stripe: StripeFake;
let marketplace: RecordingMarketplace;
let ledgers: CrashingLedgers | undefined;
const published: PublishRequest[] = [];
const previousEnvironmentFile = process.env.LOCAL_ENVIRONMENT_FILE;
const hoursOfLogs = Array.from({ length: LOG_HOURS }, (_, i) => addHours(FIRST_HOUR, i));
const generated = new Map<HourId, HourLogs>();

const publishing = recordingPublishing(published);

/** The real sinks from the environment's config, their ledgers (the CLI's, in --state) behind the crash switch. */
async function realSinks(env: Pick<EnvironmentConfig, 'name' | 'sinks'>, context: SinkContext): Promise<UsageSink[]> {
  const { stripe: stripeConfig, marketplace: marketplaceConfig } = env.sinks ?? {};
  if (stripeConfig === undefined || marketplaceConfig === undefined) throw new Error(`environment ${env.name} lacks the Stripe or Marketplace sink`);
  ledgers ??= new CrashingLedgers(context.ledgers, new Set(['stripe', 'marketplace']));
  const vars = { ...context.vars, STRIPE_API_KEY: stripe.apiKey, STRIPE_API_BASE: stripe.url };
  return [
    await SINK_FACTORIES.stripe(stripeConfig, { ...context, ledgers, vars }),
    createMarketplaceSink({ config: marketplaceConfig, ledger: ledgers, api: marketplace, sleep: async () => undefined }),
  ];
}

async function runCli(now: Date, extra: string[] = [], deps: CliDependencies = { sinksFor: realSinks, publishing }): Promise<Report> {
  stripe.setNow(now);
  marketplace.fake.now = now;
  let out = '';
  let err = '';
  const code = await main(
    [
      '--engine',
      'duckdb',
      '--month',
      MONTH,
      '--logs',
      logs,
      '--registry',
      registryFile,
      '--state',
      join(dir, 'state'),
      '--now',
      now.toISOString(),
      '--sinks-clock-override',
      ...extra,
    ],
    (s) => void (out += s),
    (s) => void (err += s),
    deps,
  );
  if (code !== 0) throw new Error(`usage CLI at ${now.toISOString()} exited ${code}: ${err}`);
  return JSON.parse(out) as Report;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'billing-e2e-'));
  logs = join(dir, 'logs');
  registryFile = join(dir, 'registry.json');
  writeRegistryFile(
    registryFile,
    'local',
    CUSTOMERS.map((c) => ({ id: c.id, name: c.id, value: c.value, plan: 'big', billing: c.billing })),
  );
  const environmentFile = join(dir, 'environment.json');
  writeFileSync(
    environmentFile,
    JSON.stringify({
      usagePlans: { big: { monthlyQuota: 1_000_000, rateLimit: 50, burstLimit: 100 } },
      prices: {
        currency: 'USD',
        plans: {
          big: {
            requests: { mode: 'graduated', unitSize: 1000, tiers: [{ upTo: null, unitPrice: 0.5 }] },
            gbOut: { mode: 'graduated', unitSize: 1, tiers: [{ upTo: null, unitPrice: 0.09 }] },
          },
        },
      },
      sinks: { stripe: STRIPE, marketplace: MARKETPLACE },
    }),
  );
  process.env.LOCAL_ENVIRONMENT_FILE = environmentFile;
  stripe = await StripeFake.start({
    meters: [
      { eventName: STRIPE.requestsEventName, meterId: STRIPE.requestsMeterId! },
      { eventName: STRIPE.bytesEventName, meterId: STRIPE.bytesMeterId! },
    ],
    customers: STRIPE_CUSTOMERS.map((c) => c.billing.stripeCustomerId!),
  });
  const fake = new FakeMarketplace({ now: hourStart(FIRST_HOUR) });
  for (const c of MARKETPLACE_CUSTOMERS) fake.subscribeLicense(c.billing.marketplaceCustomerAwsAccountId!, c.billing.marketplaceLicenseArn!);
  marketplace = new RecordingMarketplace(fake);
  const next = random(19);
  for (const hour of hoursOfLogs) generated.set(hour, generateHour(hour, next));
});

afterAll(async () => {
  await stripe?.close();
  if (previousEnvironmentFile === undefined) delete process.env.LOCAL_ENVIRONMENT_FILE;
  else process.env.LOCAL_ENVIRONMENT_FILE = previousEnvironmentFile;
  rmSync(dir, { recursive: true, force: true });
});

it('bills every customer hour exactly once in Stripe and the Marketplace over late files, duplicates and crashes', async () => {
  const reports: Report[] = [];
  for (let run = 0; run < RUNS; run++) {
    const now = new Date(hourStart(addHours(FIRST_HOUR, run + 1)).getTime() + 10 * 60_000);
    // Delivered before this run: the previous hour's file, its re-delivery, and the late file of the hour 20 hours back.
    const previous = addHours(FIRST_HOUR, run);
    const delivered = generated.get(previous);
    if (delivered !== undefined) {
      await writeLogFile(logs, ACCOUNT, DIST, hourStart(previous), delivered.onTime);
      if (run % 5 === 0) await writeLogFile(logs, ACCOUNT, DIST, hourStart(previous), delivered.onTime.slice(0, 2));
    }
    const lateHour = LATE_HOURS.find((h) => lateRun(h) === run);
    if (lateHour !== undefined) await writeLogFile(logs, ACCOUNT, DIST, hourStart(lateHour), generated.get(lateHour)!.late);

    const crashing = CRASHES.get(run);
    if (crashing !== undefined)
      ledgers?.arm(new Map(crashing.map((sink) => [sink, afterSends((sink === 'stripe' ? STRIPE_CUSTOMERS : MARKETPLACE_CUSTOMERS).map((c) => c.id))])));
    reports.push(await runCli(now));
    if (crashing !== undefined) ledgers?.arm(new Map());
  }

  // The crashed runs say partial, the crashed sink failed with the crash; the run after each says ok.
  for (const [run, crashed] of CRASHES) {
    expect(reports[run]!.run.sinks).toBe('partial');
    for (const report of reports[run]!.sinks) {
      if (crashed.includes(report.sink)) expect(report).toMatchObject({ outcome: 'failed', problems: [{ message: expect.stringMatching(/simulated crash/) }] });
      else expect(report.outcome).toBe('ok');
    }
    expect(reports[run + 1]!.run.sinks).toBe('ok');
  }
  const last = reports[reports.length - 1]!;
  expect(last.run.sinks).toBe('ok');
  expect(last.sinks.map((s) => [s.sink, s.outcome, s.problems])).toEqual([
    ['stripe', 'ok', []],
    ['marketplace', 'ok', []],
  ]);
  // CloudWatch was told: partial in the crashed runs only.
  const partialRuns = published.flatMap((p, run) => (p.sinks!.some((s) => s.outcome !== 'ok') ? [run] : []));
  expect(partialRuns).toEqual([...CRASHES.keys()].sort((a, b) => a - b));

  // The crashes happened after the sends: the next runs sent the same events and records again.
  expect(stripe.stats.duplicates).toBeGreaterThan(0);
  const sentTwice = new Set(marketplace.sent.map((r) => r.key)).size < marketplace.sent.length;
  expect(sentTwice).toBe(true);

  // The rollups the CLI computed (the figures it hands the sinks, from its --state folder) ...
  const recording = new RecordingSink('rollups');
  await runCli(new Date(hourStart(addHours(FIRST_HOUR, RUNS)).getTime()), ['--dry-run'], { sinksFor: async () => [recording], publishing });
  const rollups = recording.inputs[0]!.hours;
  // ... are the figures of the distinct generated requests: duplicates counted once, late files counted.
  const expected: CustomerHourFigures[] = hoursOfLogs.flatMap((hour) =>
    CUSTOMERS.flatMap((c) => {
      const f = generated.get(hour)!.expected.get(c.id);
      return f === undefined ? [] : [{ customerId: c.id, hour, requests: f.requests, bytesOut: f.bytesOut }];
    }),
  );
  expect(rollups).toEqual(expected);
  expect(rollups.length).toBeGreaterThan(LOG_HOURS * 2);

  // Stripe: per customer, meter and hour, the recorded meter events sum to the rollup; nothing anywhere else.
  expect(new Set(stripe.recorded.map((e) => e.stripeCustomerId))).toEqual(new Set(STRIPE_CUSTOMERS.map((c) => c.billing.stripeCustomerId)));
  for (const c of STRIPE_CUSTOMERS) {
    const own = rollups.filter((f) => f.customerId === c.id);
    for (const [meter, eventName] of [
      ['requests', STRIPE.requestsEventName],
      ['bytesOut', STRIPE.bytesEventName],
    ] as const) {
      const inStripe = hoursOfLogs.map((hour) => [hour, stripe.total(c.billing.stripeCustomerId!, eventName, hourStart(hour).getTime() / 1000)]);
      const inRollups = hoursOfLogs.map((hour) => [hour, own.find((f) => f.hour === hour)?.[meter] ?? 0]);
      expect(inStripe).toEqual(inRollups);
      expect(stripe.grandTotal(c.billing.stripeCustomerId!, eventName)).toBe(own.reduce((sum, f) => sum + f[meter], 0));
    }
  }
  // The late files were restatements: Stripe got a second (delta) event for those hours.
  for (const hour of LATE_HOURS) {
    const events = stripe.recorded.filter((e) => e.eventName === STRIPE.requestsEventName && e.timestamp === hourStart(hour).getTime() / 1000);
    expect(events.length).toBeGreaterThan(STRIPE_CUSTOMERS.length);
  }
  expect(stripe.errorReports()).toEqual([]);
  expect(stripe.stats.rejected).toBe(0);

  // Marketplace: every (customer, dimension, hour) accepted once, never another quantity for it ...
  expect(marketplace.sent.filter((r) => r.status !== 'Success')).toEqual([]);
  const quantities = new Map<string, Set<number>>();
  for (const r of marketplace.sent) quantities.set(r.key, (quantities.get(r.key) ?? new Set()).add(r.quantity));
  expect([...quantities.values()].filter((q) => q.size > 1)).toEqual([]);
  expect(marketplace.fake.accepted.size).toBe(quantities.size);
  // Late units went to later open hours, and the ledger says so.
  const ledger = await readMarketplaceRecords(ledgers!, 'marketplace', 'local', MONTH);
  const lateFrom = Object.values(ledger.entries).flatMap((e) => Object.values(e.records).flatMap((r) => r.lateFrom ?? []));
  expect(LATE_HOURS.filter((h) => !lateFrom.includes(h))).toEqual([]);
  // ... and per customer and dimension the accepted units are the month's figure in whole units,
  // never ahead of the usage: through every hour at most the cumulative figure, floored.
  for (const c of MARKETPLACE_CUSTOMERS) {
    const customer = `${c.billing.marketplaceCustomerAwsAccountId} ${c.billing.marketplaceLicenseArn}`;
    const own = rollups.filter((f) => f.customerId === c.id);
    for (const [meter, dimension, perUnit] of [
      ['requests', MARKETPLACE.dimensions.requests.name, 1],
      ['bytesOut', MARKETPLACE.dimensions.bytesOut.name, BYTES_PER_UNIT],
    ] as const) {
      const accepted = [...marketplace.fake.accepted.values()].filter((r) => r.customer === customer && r.dimension === dimension);
      let usage = 0;
      let billed = 0;
      for (const hour of hoursOfLogs) {
        usage += own.find((f) => f.hour === hour)?.[meter] ?? 0;
        billed += accepted.filter((r) => r.timestamp === hourStart(hour).getTime()).reduce((sum, r) => sum + r.quantity, 0);
        expect({ hour, billed }).toEqual({ hour, billed: Math.min(billed, Math.floor(usage / perUnit)) });
      }
      expect(accepted.every((r) => r.timestamp < hourStart(addHours(FIRST_HOUR, LOG_HOURS)).getTime())).toBe(true);
      expect(billed).toBe(Math.floor(usage / perUnit));
    }
  }
}, 600_000);
