/** A small SinkRunInput for tests: two customers, three hours of November 2026. */
import type { SinkRunInput } from '../sink';

export function sinkInput(overrides: Partial<SinkRunInput> = {}): SinkRunInput {
  return {
    environment: 'test',
    month: '2026-11',
    now: new Date('2026-11-20T10:17:00Z'),
    monthStatus: 'month-to-date',
    hours: [
      { customerId: 'acme', hour: '2026-11-20T05', requests: 3, bytesOut: 300 },
      { customerId: 'globex', hour: '2026-11-20T05', requests: 1, bytesOut: 10 },
      { customerId: 'acme', hour: '2026-11-20T07', requests: 2, bytesOut: 200 },
    ],
    customers: [
      { id: 'acme', name: 'Acme Corp', plan: 'pro', revoked: false, billing: {} },
      { id: 'globex', name: 'Globex', plan: 'basic', revoked: false, billing: {} },
    ],
    usage: { month: '2026-11', keys: [], unattributed: { requests: 0 }, totalRequests: 6 },
    dryRun: false,
    ...overrides,
  };
}
