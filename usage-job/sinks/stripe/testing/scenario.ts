/** A Stripe sink wired to the Stripe fake and an in-memory ledger, for tests and the benchmark. */
import { hourStart, type HourId } from '../../../../sql/hours';
import type { CustomerHourFigures, SinkCustomer, SinkReport, SinkRunInput } from '../../sink';
import type { StripeSinkConfig } from '../../../../config/stripe-sink';
import { createStripeSink, type StripeSink, type StripeSinkOptions } from '../stripe-sink';
import { MemoryLedgerStore } from './memory-ledger-store';
import { StripeFake, type StripeFakeOptions } from './stripe-fake';

export const TEST_CONFIG: StripeSinkConfig = {
  requestsEventName: 'api_requests',
  bytesEventName: 'api_bytes_out',
  requestsMeterId: 'mtr_requests',
  bytesMeterId: 'mtr_bytes',
  invoiceGraceHours: 24,
  apiKeySecretName: 'usage/stripe-api-key',
};

export const FAKE_METERS = [
  { eventName: TEST_CONFIG.requestsEventName, meterId: TEST_CONFIG.requestsMeterId! },
  { eventName: TEST_CONFIG.bytesEventName, meterId: TEST_CONFIG.bytesMeterId! },
];

/** A registry customer billed in Stripe as `cus_<id>`, or under another id, or (null) without one. */
export function customer(id: string, stripeCustomerId: string | null = `cus_${id}`): SinkCustomer {
  return { id, name: id, plan: 'basic', revoked: false, billing: stripeCustomerId === null ? {} : { stripeCustomerId } };
}

export interface StripeScenario {
  readonly fake: StripeFake;
  readonly store: MemoryLedgerStore;
  readonly sink: StripeSink;
  run(now: Date, hours: readonly CustomerHourFigures[], extra?: Partial<SinkRunInput>): Promise<SinkReport>;
  close(): Promise<void>;
}

export async function stripeScenario(options: {
  environment?: string;
  month?: string;
  customers: readonly SinkCustomer[];
  fake?: Partial<StripeFakeOptions>;
  config?: Partial<StripeSinkConfig>;
  sink?: Partial<StripeSinkOptions>;
  /** How the sink reaches the fake: loopback HTTP (default) or the fake's in-process fetch. */
  transport?: 'http' | 'in-process';
}): Promise<StripeScenario> {
  const environment = options.environment ?? 'dev';
  const month = options.month ?? '2026-11';
  const config = { ...TEST_CONFIG, ...options.config };
  const store = new MemoryLedgerStore();
  const fake = await StripeFake.start({ meters: FAKE_METERS, ...options.fake });
  const sink = createSinkOrClose(fake, {
    config,
    ledgers: store,
    credentials: async () => ({ apiKey: fake.apiKey, apiBase: fake.url }),
    client: { sleep: async () => undefined, baseDelayMs: 1, maxDelayMs: 5, ...(options.transport === 'in-process' ? { fetch: fake.fetch } : {}) },
    ...options.sink,
  });
  return {
    fake,
    store,
    sink,
    run: (now, hours, extra) => {
      fake.setNow(now);
      const input: SinkRunInput = {
        environment,
        month,
        now,
        monthStatus: 'month-to-date',
        hours, // the sink does not depend on their order
        customers: options.customers,
        usage: { month, keys: [], unattributed: { requests: 0 }, totalRequests: 0 },
        dryRun: false,
        ...extra,
      };
      return sink.export(input);
    },
    close: () => fake.close(),
  };
}

export const hourS = (hour: HourId): number => hourStart(hour).getTime() / 1000;
export const at = (iso: string): Date => new Date(iso);

function createSinkOrClose(fake: StripeFake, options: StripeSinkOptions): StripeSink {
  try {
    return createStripeSink(options);
  } catch (error) {
    void fake.close();
    throw error;
  }
}
