/**
 * The AWS limits the keys CLI works within. First, API Gateway's published control-plane limits
 * it paces itself to, and the throttling stand-in (keys/testing/) enforces. From "Amazon API
 * Gateway quotas", table "API Gateway quotas for creating, deploying and managing an API" (fixed,
 * cannot be increased):
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
 * - CreateApiKey: 5 requests per second per account; DeleteApiKey: 5 requests per second per account;
 * - every other operation: no own quota, up to the account's total;
 * - total operations: 10 requests per second, burst 40.
 * API keys per account per Region: 10,000, not adjustable ("Quotas for configuring and running a
 * REST API"): https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html
 * AWS states no burst for the per-operation 5/s quotas: we assume a bucket of 5 (one second's worth).
 * AWS publishes no ImportApiKeys quota: it counts against the account total only.
 */
export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

export const ACCOUNT_CONTROL_PLANE: RateLimit = { perSecond: 10, burst: 40 };

export const OPERATION_LIMITS: Readonly<Record<string, RateLimit>> = {
  CreateApiKey: { perSecond: 5, burst: 5 },
  DeleteApiKey: { perSecond: 5, burst: 5 },
};

export const API_KEYS_PER_ACCOUNT_REGION = 10_000;

/**
 * CloudFront KeyValueStore, the edge's copy of the keys (keys/edge-store-aws.ts enforces these
 * before it writes anything):
 * - store 5 MB, key 512, value 1024: "File size – 5 MB, Key size – 512 characters, Value size – 1024
 *   characters", AWS's "File format for key-value pairs"
 *   https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/kvs-with-functions-create-s3-kvp.html
 *   The quota page lists a section "Quotas on key value stores"
 *   (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html) whose
 *   rows our searches did not return; a third-party summary gives "512 bytes" and "1 KB"
 *   (https://oneuptime.com/blog/post/2026-02-12-cloudfront-keyvaluestore-edge-configuration/view). We count
 *   UTF-8 bytes, the stricter reading of both (our keys are 16 hex characters, our values at most
 *   16: far inside either). PutKey's API reference allows keys up to 1024 characters
 *   (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_kvs_PutKey.html); the smaller
 *   figure binds.
 * - UpdateKeys: 50 keys or 3 MB per call, reported by the Terraform provider's maintainers, not in
 *   the API reference (https://github.com/hashicorp/terraform-provider-aws/issues/46220,
 *   https://github.com/hashicorp/terraform-provider-aws/pull/42795).
 */
export const KVS_LIMITS = {
  /** Entries (puts plus deletes) per UpdateKeys call, as reported. */
  keysPerUpdate: 50,
  /** Request payload per UpdateKeys call, as reported. */
  bytesPerUpdate: 3 * 1024 * 1024,
  /** The store's total size; the smaller reading of "5 MB". */
  storeBytes: 5_000_000,
  keyBytes: 512,
  valueBytes: 1024,
} as const;

/** A token bucket: `take` resolves when a token is available (client-side pacing). */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly limit: RateLimit,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.tokens = limit.burst;
    this.last = clock();
  }

  private refill(): void {
    const now = this.clock();
    this.tokens = Math.min(this.limit.burst, this.tokens + ((now - this.last) / 1000) * this.limit.perSecond);
    this.last = now;
  }

  /** Takes a token if one is there (the stand-in's check). */
  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is there. */
  waitMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.limit.perSecond) * 1000);
  }

  async take(): Promise<void> {
    for (;;) {
      const wait = this.waitMs();
      if (wait === 0) {
        this.tokens -= 1;
        return;
      }
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}
