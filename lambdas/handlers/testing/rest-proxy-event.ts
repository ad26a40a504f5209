/**
 * A realistic API Gateway REST API proxy event (payload 1.0) as it arrives through CloudFront,
 * shaped after the example in
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
 * Note that requestContext.identity.apiKey holds the raw key: handlers must never log it.
 */
import type { ProxyEvent } from '../http';
import { ORIGIN_SECRET_HEADER } from '../../../contracts/origin-secret';

export const TEST_API_KEY = 'tEsT-kEy-0123456789-abcdefghij';
export const TEST_API_KEY_ID = 'a1b2c3d4e5';
export const TEST_ORIGIN_SECRET = 'origin-secret-7f3a9c1e5b2d8f4a6c0e';

export interface EventOptions {
  readonly method?: string;
  readonly path?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
  readonly originSecret?: string | null;
  readonly requestId?: string;
}

export function restProxyEvent(options: EventOptions = {}): ProxyEvent {
  const method = options.method ?? 'GET';
  const path = options.path ?? '/example';
  const headers: Record<string, string> = {
    Accept: '*/*',
    'CloudFront-Forwarded-Proto': 'https',
    'CloudFront-Is-Desktop-Viewer': 'true',
    'CloudFront-Viewer-Country': 'DE',
    Host: 'abc123.execute-api.eu-central-1.amazonaws.com',
    'User-Agent': 'curl/8.5.0',
    Via: '2.0 4d2a0a3c.cloudfront.net (CloudFront)',
    'X-Amz-Cf-Id': 'Kw8ZSaZ0h7bZ0bqbB4c0_5qg8cG3yqC9Yl1kQfVnK0m1pP2rR3sS4A==',
    'X-Amzn-Trace-Id': 'Root=1-67890abc-0123456789abcdef01234567',
    'x-api-key': TEST_API_KEY,
    'X-Forwarded-For': '198.51.100.11, 130.176.0.1',
    'X-Forwarded-Port': '443',
    'X-Forwarded-Proto': 'https',
    ...(options.originSecret === null ? {} : { [ORIGIN_SECRET_HEADER]: options.originSecret ?? TEST_ORIGIN_SECRET }),
    ...options.headers,
  };
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) multiValueHeaders[name] = [value];
  const requestId = options.requestId ?? 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef';
  return {
    resource: path,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: { page: '2' },
    multiValueQueryStringParameters: { page: ['2'] },
    pathParameters: null,
    requestContext: {
      requestId,
      extendedRequestId: 'Ab1CdEfGhIjKlMn=',
      stage: 'prod',
      resourcePath: path,
      httpMethod: method,
      requestTimeEpoch: 1_764_300_000_000,
      identity: {
        apiKey: TEST_API_KEY,
        apiKeyId: TEST_API_KEY_ID,
        sourceIp: '130.176.0.1',
        userAgent: 'curl/8.5.0',
      },
    },
    body: options.body ?? null,
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
}

/** A POST /data event with a JSON content type unless the caller overrides it. */
export function dataEvent(body: string | null, options: EventOptions = {}): ProxyEvent {
  return restProxyEvent({
    method: 'POST',
    path: '/data',
    body,
    ...options,
    headers: { 'Content-Type': 'application/json', ...options.headers },
  });
}
