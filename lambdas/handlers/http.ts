/**
 * Minimal types for API Gateway REST API Lambda proxy integration events (payload format 1.0)
 * and results, plus small response helpers. Written locally to keep bundles free of type packages.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
 */
import { isRecord } from '../../contracts/json';

export { isRecord };

export type HeaderMap = Record<string, string | undefined>;
export type MultiValueHeaderMap = Record<string, string[] | undefined>;

export interface ProxyRequestIdentity {
  readonly apiKey?: string | null;
  readonly apiKeyId?: string | null;
  readonly sourceIp?: string | null;
  readonly userAgent?: string | null;
}

export interface ProxyRequestContext {
  readonly requestId?: string;
  readonly extendedRequestId?: string;
  readonly stage?: string;
  readonly resourcePath?: string;
  readonly httpMethod?: string;
  readonly requestTimeEpoch?: number;
  readonly identity?: ProxyRequestIdentity;
}

/** A REST API proxy event; every field optional because handlers must be total over bad input. */
export interface ProxyEvent {
  readonly resource?: string;
  readonly path?: string;
  readonly httpMethod?: string;
  readonly headers?: HeaderMap | null;
  readonly multiValueHeaders?: MultiValueHeaderMap | null;
  readonly queryStringParameters?: Record<string, string | undefined> | null;
  readonly multiValueQueryStringParameters?: Record<string, string[] | undefined> | null;
  readonly pathParameters?: Record<string, string | undefined> | null;
  readonly requestContext?: ProxyRequestContext | null;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
}

export interface ProxyResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded?: boolean;
}

/** The part of the Lambda context the handlers read. */
export interface LambdaContext {
  readonly awsRequestId?: string;
}

/** A Lambda handler for REST proxy events, as each handler module exports it. */
export type ProxyHandler = (event: ProxyEvent, context?: LambdaContext) => Promise<ProxyResult>;

export function jsonResponse(statusCode: number, payload: unknown, extraHeaders: Record<string, string> = {}): ProxyResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...extraHeaders },
    body: JSON.stringify(payload),
  };
}

/** Error responses share API Gateway's own shape: {"message": "..."}. */
export function errorResponse(statusCode: number, message: string, extraHeaders: Record<string, string> = {}): ProxyResult {
  return jsonResponse(statusCode, { message }, extraHeaders);
}

/**
 * Every distinct value of a header, matched case-insensitively across `headers` and
 * `multiValueHeaders` (API Gateway keeps the client's spelling of header names).
 */
export function headerValues(event: ProxyEvent, name: string): string[] {
  const wanted = name.toLowerCase();
  const found = new Set<string>();
  const single = isRecord(event.headers) ? event.headers : {};
  for (const [key, value] of Object.entries(single)) {
    if (key.toLowerCase() === wanted && typeof value === 'string') found.add(value);
  }
  const multi = isRecord(event.multiValueHeaders) ? event.multiValueHeaders : {};
  for (const [key, values] of Object.entries(multi)) {
    if (key.toLowerCase() !== wanted || !Array.isArray(values)) continue;
    for (const value of values) if (typeof value === 'string') found.add(value);
  }
  return [...found];
}

/** The header's value when the request carries exactly one distinct value, else undefined. */
export function singleHeader(event: ProxyEvent, name: string): string | undefined {
  const values = headerValues(event, name);
  return values.length === 1 ? values[0] : undefined;
}
