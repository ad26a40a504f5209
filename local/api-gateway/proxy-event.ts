/**
 * Builds the REST API Lambda proxy event (payload format 1.0) API Gateway sends a handler:
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-input-format
 * headers / queryStringParameters carry the last value of each name, the multiValue maps all of
 * them; a body that is not valid UTF-8 is passed base64-encoded with isBase64Encoded true.
 */
import type { ProxyEvent } from '../../lambdas/handlers/http';

export interface ForwardedRequest {
  readonly method: string;
  readonly path: string;
  /** Header names in lower case, every value in order. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  /** Decoded query parameters as the viewer sent them (the edge function changes none), every value in order. */
  readonly query: ReadonlyMap<string, readonly string[]>;
  readonly body: Buffer;
  readonly sourceIp: string;
}

export interface ProxyEventContext {
  readonly stage: string;
  readonly requestId: string;
  /** null on a method that requires no key (API Gateway then validates and reports none). */
  readonly apiKeyId: string | null;
  readonly apiKey: string | null;
  readonly nowMs: number;
}

export function buildProxyEvent(request: ForwardedRequest, ctx: ProxyEventContext): ProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, values] of request.headers) {
    headers[name] = values[values.length - 1];
    multiValueHeaders[name] = [...values];
  }
  let queryStringParameters: Record<string, string> | null = null;
  let multiValueQueryStringParameters: Record<string, string[]> | null = null;
  if (request.query.size > 0) {
    queryStringParameters = {};
    multiValueQueryStringParameters = {};
    for (const [name, values] of request.query) {
      queryStringParameters[name] = values[values.length - 1];
      multiValueQueryStringParameters[name] = [...values];
    }
  }
  const text = request.body.length === 0 ? null : decodeUtf8(request.body);
  const isBase64Encoded = request.body.length > 0 && text === null;
  const body = request.body.length === 0 ? null : isBase64Encoded ? request.body.toString('base64') : text;
  return {
    resource: request.path,
    path: request.path,
    httpMethod: request.method,
    headers,
    multiValueHeaders,
    queryStringParameters,
    multiValueQueryStringParameters,
    pathParameters: null,
    requestContext: {
      requestId: ctx.requestId,
      extendedRequestId: ctx.requestId,
      stage: ctx.stage,
      resourcePath: request.path,
      httpMethod: request.method,
      requestTimeEpoch: ctx.nowMs,
      identity: {
        apiKey: ctx.apiKey,
        apiKeyId: ctx.apiKeyId,
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? null,
      },
    },
    body,
    isBase64Encoded,
  };
}

function decodeUtf8(bytes: Buffer): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}
