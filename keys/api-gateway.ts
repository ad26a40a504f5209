/**
 * The API Gateway calls the keys CLI makes, behind one interface (AWS SDK here, in-memory in unit
 * tests). Every call is paced to the published limits (keys/limits.ts) and retried with exponential
 * backoff and full jitter on TooManyRequestsException (HTTP 429), so a burst of commands never
 * fails on throttling; the counters feed `bench:keys`.
 */
import {
  APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  DeleteUsagePlanKeyCommand,
  GetApiKeysCommand,
  GetUsageCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
  ImportApiKeysCommand,
  UpdateApiKeyCommand,
  UpdateUsageCommand,
} from '@aws-sdk/client-api-gateway';
import { ACCOUNT_CONTROL_PLANE, OPERATION_LIMITS, TokenBucket } from './limits';

export interface GatewayKey {
  readonly id: string;
  readonly name: string;
  readonly enabled: boolean;
  readonly description?: string;
  /** Only when listed with values (keys import). */
  readonly value?: string;
}

export interface GatewayStats {
  calls: number;
  throttled: number;
  retries: number;
  readonly byOperation: Record<string, number>;
}

export interface KeyGateway {
  readonly stats: GatewayStats;
  /** Usage plan ids by plan name (plans are named `${prefix}-${plan}` by stacks/billing/api/usage-plans.ts). */
  usagePlanIds(prefix: string): Promise<Map<string, string>>;
  listKeys(namePrefix: string, includeValues: boolean): Promise<GatewayKey[]>;
  createKey(name: string, value: string, description: string): Promise<string>;
  /** Idempotent: a key that is already gone is fine. */
  deleteKey(id: string): Promise<void>;
  enableKey(id: string): Promise<void>;
  planKeyIds(planId: string): Promise<Set<string>>;
  /** Idempotent: an existing binding is fine. */
  bind(planId: string, keyId: string): Promise<void>;
  unbind(planId: string, keyId: string): Promise<void>;
  /** The key's remaining quota this period, or undefined when API Gateway reports no usage for it. */
  remaining(planId: string, keyId: string, today: Date): Promise<number | undefined>;
  setRemaining(planId: string, keyId: string, remaining: number): Promise<void>;
  /** ImportApiKeys with a CSV body; returns the created ids and warnings. */
  importKeys(csv: string): Promise<{ ids: string[]; warnings: string[] }>;
}

export function emptyStats(): GatewayStats {
  return { calls: 0, throttled: 0, retries: 0, byOperation: {} };
}

interface AwsError {
  readonly name?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

const isThrottle = (e: AwsError): boolean => e.name === 'TooManyRequestsException' || e.$metadata?.httpStatusCode === 429;
const isNotFound = (e: AwsError): boolean => e.name === 'NotFoundException' || e.$metadata?.httpStatusCode === 404;
const isConflict = (e: AwsError): boolean => e.name === 'ConflictException' || e.$metadata?.httpStatusCode === 409;

export interface RetryPolicy {
  readonly attempts: number;
  readonly baseMs: number;
  readonly capMs: number;
}
export const DEFAULT_RETRY: RetryPolicy = { attempts: 10, baseMs: 200, capMs: 10_000 };

/** Paces calls to the published limits and retries throttled ones (exponential backoff, full jitter). */
export class Pacer {
  readonly stats = emptyStats();
  private readonly account = new TokenBucket(ACCOUNT_CONTROL_PLANE);
  private readonly perOperation = new Map(Object.entries(OPERATION_LIMITS).map(([op, limit]) => [op, new TokenBucket(limit)]));

  constructor(private readonly retry: RetryPolicy = DEFAULT_RETRY) {}

  async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      await this.perOperation.get(operation)?.take();
      await this.account.take();
      this.stats.calls++;
      this.stats.byOperation[operation] = (this.stats.byOperation[operation] ?? 0) + 1;
      try {
        return await send();
      } catch (error) {
        if (!isThrottle(error as AwsError)) throw error;
        this.stats.throttled++;
        if (attempt + 1 >= this.retry.attempts) {
          throw new Error(`API Gateway kept throttling ${operation} after ${this.retry.attempts} attempts; run the command again later`, { cause: error });
        }
        this.stats.retries++;
        const ceiling = Math.min(this.retry.capMs, this.retry.baseMs * 2 ** attempt);
        await new Promise((r) => setTimeout(r, Math.random() * ceiling));
      }
    }
  }
}

function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export class AwsKeyGateway implements KeyGateway {
  private readonly pacer: Pacer;
  get stats(): GatewayStats {
    return this.pacer.stats;
  }

  constructor(
    private readonly client: APIGatewayClient,
    retry: RetryPolicy = DEFAULT_RETRY,
  ) {
    this.pacer = new Pacer(retry);
  }

  async usagePlanIds(prefix: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    let position: string | undefined;
    do {
      const page = await this.pacer.call('GetUsagePlans', () => this.client.send(new GetUsagePlansCommand({ limit: 500, position })));
      for (const plan of page.items ?? []) {
        if (plan.id !== undefined && plan.name?.startsWith(`${prefix}-`)) out.set(plan.name.slice(prefix.length + 1), plan.id);
      }
      position = page.position;
    } while (position !== undefined);
    return out;
  }

  /**
   * Keys whose name starts with `namePrefix`. GetApiKeys' nameQuery is documented only as "the name
   * of queried API keys" but matches a prefix (an AWS SDK maintainer, aws/aws-sdk-java-v2#1732:
   * "returns all keys which names start with" it, as the console's search does; localstack#6261,
   * verified against AWS). Callers pass the separator (`acme-`, so `acme2-...` is not taken in) and
   * the result is filtered again by prefix, so a looser match on AWS's side changes nothing.
   */
  async listKeys(namePrefix: string, includeValues: boolean): Promise<GatewayKey[]> {
    const out: GatewayKey[] = [];
    let position: string | undefined;
    do {
      const page = await this.pacer.call('GetApiKeys', () =>
        this.client.send(new GetApiKeysCommand({ nameQuery: namePrefix, includeValues, limit: 500, position })),
      );
      for (const k of page.items ?? []) {
        if (k.id === undefined || k.name === undefined || !k.name.startsWith(namePrefix)) continue;
        out.push({
          id: k.id,
          name: k.name,
          enabled: k.enabled === true,
          description: k.description,
          ...(includeValues && k.value !== undefined ? { value: k.value } : {}),
        });
      }
      position = page.position;
    } while (position !== undefined);
    return out;
  }

  async createKey(name: string, value: string, description: string): Promise<string> {
    const out = await this.pacer.call('CreateApiKey', () => this.client.send(new CreateApiKeyCommand({ name, value, description, enabled: true })));
    if (out.id === undefined) throw new Error(`CreateApiKey ${name} returned no id`);
    return out.id;
  }

  async deleteKey(id: string): Promise<void> {
    try {
      await this.pacer.call('DeleteApiKey', () => this.client.send(new DeleteApiKeyCommand({ apiKey: id })));
    } catch (error) {
      if (!isNotFound(error as AwsError)) throw error;
    }
  }

  async enableKey(id: string): Promise<void> {
    await this.pacer.call('UpdateApiKey', () =>
      this.client.send(new UpdateApiKeyCommand({ apiKey: id, patchOperations: [{ op: 'replace', path: '/enabled', value: 'true' }] })),
    );
  }

  async planKeyIds(planId: string): Promise<Set<string>> {
    const out = new Set<string>();
    let position: string | undefined;
    do {
      const page = await this.pacer.call('GetUsagePlanKeys', () =>
        this.client.send(new GetUsagePlanKeysCommand({ usagePlanId: planId, limit: 500, position })),
      );
      for (const k of page.items ?? []) if (k.id !== undefined) out.add(k.id);
      position = page.position;
    } while (position !== undefined);
    return out;
  }

  async bind(planId: string, keyId: string): Promise<void> {
    try {
      await this.pacer.call('CreateUsagePlanKey', () => this.client.send(new CreateUsagePlanKeyCommand({ usagePlanId: planId, keyId, keyType: 'API_KEY' })));
    } catch (error) {
      if (!isConflict(error as AwsError)) throw error;
    }
  }

  async unbind(planId: string, keyId: string): Promise<void> {
    try {
      await this.pacer.call('DeleteUsagePlanKey', () => this.client.send(new DeleteUsagePlanKeyCommand({ usagePlanId: planId, keyId })));
    } catch (error) {
      if (!isNotFound(error as AwsError)) throw error;
    }
  }

  // GetUsage: daily [used, remaining] pairs per key id over the period asked for:
  // https://docs.aws.amazon.com/apigateway/latest/api/API_GetUsage.html
  async remaining(planId: string, keyId: string, today: Date): Promise<number | undefined> {
    const first = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1));
    const out = await this.pacer.call('GetUsage', () =>
      this.client.send(new GetUsageCommand({ usagePlanId: planId, keyId, startDate: isoDay(first), endDate: isoDay(today) })),
    );
    const days = out.items?.[keyId];
    const last = days?.[days.length - 1];
    return last?.[1];
  }

  // UpdateUsage (PATCH /usageplans/{id}/keys/{keyId}/usage) "grants a temporary extension to the
  // remaining quota": https://docs.aws.amazon.com/apigateway/latest/api/API_UpdateUsage.html. The
  // operation and path (`replace /remaining`) follow the REST API reference's usage:update page
  // (https://docs.aws.amazon.com/apigateway/api-reference/link-relation/usage-update/), whose table of
  // supported paths we could not read in full here: an AWS answer of BadRequestException fails the
  // command loudly rather than skipping the carry-over.
  async setRemaining(planId: string, keyId: string, remaining: number): Promise<void> {
    await this.pacer.call('UpdateUsage', () =>
      this.client.send(
        new UpdateUsageCommand({ usagePlanId: planId, keyId, patchOperations: [{ op: 'replace', path: '/remaining', value: String(remaining) }] }),
      ),
    );
  }

  // ImportApiKeys: CSV with Name and Key (20-128 characters), optional Description, Enabled,
  // UsagePlanIds; the same key imported again overwrites the earlier one:
  // https://docs.aws.amazon.com/apigateway/latest/developerguide/api-key-file-format.html
  async importKeys(csv: string): Promise<{ ids: string[]; warnings: string[] }> {
    const out = await this.pacer.call('ImportApiKeys', () =>
      this.client.send(new ImportApiKeysCommand({ body: new TextEncoder().encode(csv), format: 'csv', failOnWarnings: true })),
    );
    return { ids: out.ids ?? [], warnings: out.warnings ?? [] };
  }
}

/** The CLI's client: the SDK's own retries are off so throttling is handled (and counted) by the Pacer. */
export function apiGatewayClient(region: string, endpoint?: string): APIGatewayClient {
  return new APIGatewayClient({ region, maxAttempts: 1, ...(endpoint === undefined ? {} : { endpoint }) });
}
