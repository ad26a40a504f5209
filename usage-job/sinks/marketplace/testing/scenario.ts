/** Building blocks for the Marketplace sink's tests: customers with Marketplace ids, run inputs. */
import type { BillingIds } from '../../../../keys/registry';
import type { CustomerHourFigures, SinkCustomer, SinkRunInput } from '../../sink';
import type { MarketplaceSinkConfig } from '../../../../config/marketplace-sink';

export const MONTH = '2026-11';

export const CONFIG: MarketplaceSinkConfig = {
  productCode: 'prod-fake0001',
  identity: 'license',
  region: 'us-east-1',
  dimensions: { requests: { name: 'requests', requestsPerUnit: 1 }, bytesOut: { name: 'gb_out', bytesPerUnit: 1_000_000_000 } },
};

export const account = (n: number): string => String(100000000000 + n);
export const license = (n: number): string => `arn:aws:license-manager::${account(0)}:license:l-${String(n).padStart(8, '0')}`;

export function licensed(id: string, n: number, extra: BillingIds = {}): SinkCustomer {
  return { id, name: id, plan: 'basic', revoked: false, billing: { marketplaceCustomerAwsAccountId: account(n), marketplaceLicenseArn: license(n), ...extra } };
}

export function figures(customerId: string, hour: string, requests: number, bytesOut = 0): CustomerHourFigures {
  return { customerId, hour, requests, bytesOut };
}

export function runInput(now: string | Date, hours: readonly CustomerHourFigures[], customers: readonly SinkCustomer[], dryRun = false): SinkRunInput {
  const sorted = [...hours].sort((a, b) => (a.hour + a.customerId < b.hour + b.customerId ? -1 : 1));
  return {
    environment: 'dev',
    month: MONTH,
    now: typeof now === 'string' ? new Date(now) : now,
    monthStatus: 'month-to-date',
    hours: sorted,
    customers,
    usage: {} as SinkRunInput['usage'],
    dryRun,
  };
}

/** Replaces the figure of (customer, hour): a restatement. */
export function restate(hours: readonly CustomerHourFigures[], f: CustomerHourFigures): CustomerHourFigures[] {
  return [...hours.filter((h) => !(h.customerId === f.customerId && h.hour === f.hour)), f];
}
