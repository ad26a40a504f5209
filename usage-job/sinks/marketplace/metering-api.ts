/**
 * The one Metering Service call the sink makes, behind an interface so a fake with the published
 * rules can stand in (testing/fake-marketplace.ts). In AWS: @aws-sdk/client-marketplace-metering.
 */
import {
  BatchMeterUsageCommand,
  MarketplaceMeteringClient,
  type BatchMeterUsageRequest,
  type BatchMeterUsageResult,
  type MarketplaceMeteringClientConfig,
} from '@aws-sdk/client-marketplace-metering';

export type { BatchMeterUsageRequest, BatchMeterUsageResult, UsageRecord, UsageRecordResult } from '@aws-sdk/client-marketplace-metering';

export interface MeteringApi {
  batchMeterUsage(request: BatchMeterUsageRequest): Promise<BatchMeterUsageResult>;
}

/** At most 25 UsageRecords per call (API reference, BatchMeterUsage). */
export const MAX_RECORDS_PER_CALL = 25;

/**
 * The SDK client with its own retries off (maxAttempts 1): the sink retries throttling and
 * unprocessed records itself, with backoff and jitter it can count (sender.ts).
 */
export function sdkMeteringApi(config: MarketplaceMeteringClientConfig): MeteringApi {
  const client = new MarketplaceMeteringClient({ maxAttempts: 1, ...config });
  return { batchMeterUsage: (request) => client.send(new BatchMeterUsageCommand(request)) };
}
