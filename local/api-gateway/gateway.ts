/**
 * The API layer of the local platform: what API Gateway (REST API, usage plans, Lambda proxy
 * integrations) does for this API, and no more.
 *   1. route: GET /example and POST /data; anything else 403 Missing Authentication Token;
 *   2. API key: the x-api-key header must be a key of a usage plan, else 403 Forbidden;
 *   3. throttling: the key's plan (rate, burst), then the stage default, else 429 Too Many Requests
 *      (order per https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html);
 *   4. quota: the plan's monthly quota, else 429 Limit Exceeded;
 *   5. the real handler, invoked with a REST proxy event that carries the key's id in
 *      requestContext.identity.apiKeyId, and the origin secret header CloudFront adds.
 */
import { randomUUID } from 'node:crypto';
import type { ProxyHandler, ProxyResult } from '../../lambdas/handlers/http';
import { API_KEY_HEADER } from '../../contracts/api-key';
import { ORIGIN_SECRET_HEADER } from '../../contracts/origin-secret';
import { localSeedKeys, type LocalEnvironment } from '../seed-keys';
import type { LocalApiKey } from '../keys/key-store';
import { buildProxyEvent, type ForwardedRequest } from './proxy-event';
import type { QuotaCounter } from './quota';
import { forbidden, integrationFailure, limitExceeded, missingAuthenticationToken, tooManyRequests, type GatewayResponse } from './responses';
import { TokenBucket } from './token-bucket';

/** Routes of the REST API, as the billing stack declares them: "METHOD /path" -> handler. */
export type Routes = ReadonlyMap<string, ProxyHandler>;

export interface GatewayOutcome extends GatewayResponse {
  /** API Gateway's request id (also sent as x-amzn-requestid). */
  readonly requestId: string;
  /** Id of the key the request was accepted for, when it got that far. */
  readonly apiKeyId: string | null;
}

interface PlanKey {
  readonly key: LocalApiKey;
  readonly bucket: TokenBucket;
}

export class LocalApiGateway {
  private readonly byValue = new Map<string, PlanKey>();
  private readonly stageBucket: TokenBucket;
  private readonly stage: string;

  constructor(
    environment: LocalEnvironment,
    keys: readonly LocalApiKey[],
    private readonly routes: Routes,
    private readonly quota: QuotaCounter,
    private readonly originSecret: string,
  ) {
    for (const configured of localSeedKeys(environment)) {
      const key = keys.find((k) => k.id === configured.id);
      if (key === undefined) throw new Error(`no key value for configured key ${configured.id}`);
      const plan = environment.usagePlans[configured.plan];
      this.byValue.set(key.value, { key, bucket: new TokenBucket(plan.rateLimit, plan.burstLimit) });
    }
    this.stage = environment.name;
    this.stageBucket = new TokenBucket(environment.stageThrottle.rateLimit, environment.stageThrottle.burstLimit);
  }

  async handle(request: ForwardedRequest): Promise<GatewayOutcome> {
    const requestId = randomUUID();
    const done = (response: GatewayResponse, apiKeyId: string | null = null): GatewayOutcome => ({
      ...response,
      headers: { ...response.headers, 'x-amzn-requestid': requestId },
      requestId,
      apiKeyId,
    });

    const handler = this.routes.get(`${request.method} ${request.path}`);
    if (handler === undefined) return done(missingAuthenticationToken());

    const presented = request.headers.get(API_KEY_HEADER)?.[0];
    const planKey = presented === undefined ? undefined : this.byValue.get(presented);
    if (planKey === undefined) return done(forbidden());
    const { key } = planKey;

    if (!planKey.bucket.tryTake() || !this.stageBucket.tryTake()) return done(tooManyRequests(), key.id);
    if (!this.quota.tryUse(key.id, key.quotaPerMonth)) return done(limitExceeded(), key.id);

    const headers = new Map(request.headers);
    headers.set(ORIGIN_SECRET_HEADER, [this.originSecret]);
    const event = buildProxyEvent(
      { ...request, headers },
      {
        stage: this.stage,
        requestId,
        apiKeyId: key.id,
        apiKey: key.value,
        nowMs: Date.now(),
      },
    );
    let result: ProxyResult;
    try {
      result = await handler(event, { awsRequestId: randomUUID() });
    } catch {
      return done(integrationFailure(), key.id);
    }
    if (!isProxyResult(result)) return done(integrationFailure(), key.id);
    const body = result.isBase64Encoded === true ? Buffer.from(result.body, 'base64') : Buffer.from(result.body ?? '', 'utf8');
    const headersOut: Record<string, string> = {};
    for (const [name, value] of Object.entries(result.headers ?? {})) headersOut[name.toLowerCase()] = String(value);
    return done({ statusCode: result.statusCode, headers: headersOut, body }, key.id);
  }
}

/** API Gateway answers 502 when a proxy integration returns something that is not a valid result. */
function isProxyResult(value: unknown): value is ProxyResult {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Partial<ProxyResult>;
  return Number.isInteger(r.statusCode) && (r.statusCode as number) >= 100 && (r.statusCode as number) <= 599;
}
