/**
 * The API layer of the local platform: what API Gateway (REST API, usage plans, Lambda proxy
 * integrations) does for this API, and no more.
 *   1. route: GET /example and POST /data; anything else 403 Missing Authentication Token;
 *   2. API key: the x-api-key header must be an enabled key bound to a usage plan (registered-keys.ts:
 *      what the keys CLI created), else 403 Forbidden;
 *   3. throttling: the key's plan (rate, burst), then the stage default, else 429 Too Many Requests
 *      (order per https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html);
 *   4. quota: the plan's monthly quota, else 429 Limit Exceeded;
 *   5. the real handler, invoked with a REST proxy event that carries the key's id in
 *      requestContext.identity.apiKeyId, and the origin secret header CloudFront adds.
 * A route that requires no key (GET /usage, `keyless`) skips 2 and 4 and the plan's throttle: no
 * usage plan sees it; its own method throttle and the stage's apply, then the handler.
 */
import { randomUUID } from 'node:crypto';
import type { ProxyHandler, ProxyResult } from '../../lambdas/handlers/http';
import { API_KEY_HEADER, apiKeyFingerprint } from '../../contracts/api-key';
import { ORIGIN_SECRET_HEADER } from '../../contracts/origin-secret';
import type { EnvironmentConfig } from '../../config/types';
import { buildProxyEvent, type ForwardedRequest } from './proxy-event';
import type { GatewayKeys } from './registered-keys';
import type { QuotaCounter } from './quota';
import { forbidden, integrationFailure, limitExceeded, missingAuthenticationToken, tooManyRequests, type GatewayResponse } from './responses';
import { TokenBucket } from './token-bucket';

/** Routes of the REST API, as the billing stack declares them: "METHOD /path" -> handler. */
export type Routes = ReadonlyMap<string, ProxyHandler>;

/** Routes that require no API key ("METHOD /path" -> their method throttle). */
export type KeylessRoutes = ReadonlyMap<string, { readonly rateLimit: number; readonly burstLimit: number }>;

export interface GatewayOutcome extends GatewayResponse {
  /** API Gateway's request id (also sent as x-amzn-requestid). */
  readonly requestId: string;
  /** Id of the key the request was accepted for, when it got that far. */
  readonly apiKeyId: string | null;
}

export class LocalApiGateway {
  /** Token bucket per key and plan (a key moved to another plan gets that plan's bucket). */
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly stageBucket: TokenBucket;
  private readonly stage: string;

  constructor(
    private readonly environment: EnvironmentConfig,
    private readonly keys: GatewayKeys,
    private readonly routes: Routes,
    private readonly quota: QuotaCounter,
    private readonly originSecret: string,
    keyless: KeylessRoutes = new Map(),
  ) {
    this.stage = environment.name;
    this.stageBucket = new TokenBucket(environment.stageThrottle.rateLimit, environment.stageThrottle.burstLimit);
    this.keyless = new Map([...keyless].map(([route, t]) => [route, new TokenBucket(t.rateLimit, t.burstLimit)]));
  }

  /** Method throttle per keyless route. */
  private readonly keyless: ReadonlyMap<string, TokenBucket>;

  async handle(request: ForwardedRequest): Promise<GatewayOutcome> {
    const requestId = randomUUID();
    const done = (response: GatewayResponse, apiKeyId: string | null = null): GatewayOutcome => ({
      ...response,
      headers: { ...response.headers, 'x-amzn-requestid': requestId },
      requestId,
      apiKeyId,
    });

    const routeKey = `${request.method} ${request.path}`;
    const handler = this.routes.get(routeKey);
    if (handler === undefined) return done(missingAuthenticationToken());
    const keylessBucket = this.keyless.get(routeKey);
    if (keylessBucket !== undefined) {
      if (!keylessBucket.tryTake() || !this.stageBucket.tryTake()) return done(tooManyRequests());
      return done(await this.invoke(handler, request, null, null, requestId));
    }

    const presented = request.headers.get(API_KEY_HEADER)?.[0];
    const usable = presented === undefined ? undefined : await this.keys(apiKeyFingerprint(presented));
    const plan = usable === undefined ? undefined : this.environment.usagePlans[usable.plan];
    if (usable === undefined || plan === undefined || presented === undefined) return done(forbidden());
    const keyId = usable.apiKeyId;
    const bucketId = `${keyId} ${usable.plan}`;
    let bucket = this.buckets.get(bucketId);
    if (bucket === undefined) {
      bucket = new TokenBucket(plan.rateLimit, plan.burstLimit);
      this.buckets.set(bucketId, bucket);
    }

    if (!bucket.tryTake() || !this.stageBucket.tryTake()) return done(tooManyRequests(), keyId);
    if (!this.quota.tryUse(keyId, plan.monthlyQuota)) return done(limitExceeded(), keyId);
    return done(await this.invoke(handler, request, keyId, presented, requestId), keyId);
  }

  /** The Lambda proxy integration: the event with the origin secret CloudFront adds, the handler's result or 502. */
  private async invoke(
    handler: ProxyHandler,
    request: ForwardedRequest,
    keyId: string | null,
    presented: string | null,
    requestId: string,
  ): Promise<GatewayResponse> {
    const headers = new Map(request.headers);
    headers.set(ORIGIN_SECRET_HEADER, [this.originSecret]);
    const event = buildProxyEvent(
      { ...request, headers },
      {
        stage: this.stage,
        requestId,
        apiKeyId: keyId,
        apiKey: presented,
        nowMs: Date.now(),
      },
    );
    let result: ProxyResult;
    try {
      result = await handler(event, { awsRequestId: randomUUID() });
    } catch {
      return integrationFailure();
    }
    if (!isProxyResult(result)) return integrationFailure();
    const body = result.isBase64Encoded === true ? Buffer.from(result.body, 'base64') : Buffer.from(result.body ?? '', 'utf8');
    const headersOut: Record<string, string> = {};
    for (const [name, value] of Object.entries(result.headers ?? {})) headersOut[name.toLowerCase()] = String(value);
    return { statusCode: result.statusCode, headers: headersOut, body };
  }
}

/** API Gateway answers 502 when a proxy integration returns something that is not a valid result. */
function isProxyResult(value: unknown): value is ProxyResult {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Partial<ProxyResult>;
  return Number.isInteger(r.statusCode) && (r.statusCode as number) >= 100 && (r.statusCode as number) <= 599;
}
