/**
 * Converts between an HTTP request (method, request target, headers) and the CloudFront Functions
 * event, so the local platform can run the real edge function in front of an HTTP server.
 *
 * Encoding: CloudFront hands the function query-string names and values as the viewer sent them,
 * percent-encoding kept (the AWS example "normalize query string parameters" re-joins
 * `key + "=" + value` without encoding, which only works on undecoded values:
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/example_cloudfront_functions_normalize_query_string_parameters_section.html).
 * So this module splits on `&` and the first `=`, decodes nothing, and re-joins the same way.
 * Not checkable without a real distribution: how CloudFront re-serializes a parameter whose value
 * is empty (`a` versus `a=`); this module always writes `a=`.
 * Header names are lowercased; repeated headers and parameters become `multiValue` lists, with
 * `value` holding the first (event structure, "Structure for a query string, header, or cookie":
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-event-structure.html).
 * Cookies travel in `request.cookies`, not in a `cookie` header.
 */
import type { CloudFrontCookieValue, CloudFrontEvent, CloudFrontRequest, CloudFrontValueMap } from './event';

export type HttpHeaders = Record<string, string | string[] | undefined>;

export interface HttpRequestParts {
  readonly method: string;
  /** Path plus `?query` when there is one, as it goes on the wire. */
  readonly url: string;
  /** Lowercase header names; repeated headers as arrays. */
  readonly headers: Record<string, string[]>;
}

const own = (map: object, name: string): boolean => Object.prototype.hasOwnProperty.call(map, name);

/** Sets map[name] as an own data property, so names like __proto__ stay plain parameters. */
function define<T>(map: Record<string, T>, name: string, value: T): void {
  Object.defineProperty(map, name, { value, enumerable: true, writable: true, configurable: true });
}

function addValue(map: CloudFrontValueMap, name: string, value: string): void {
  const existing = own(map, name) ? map[name] : undefined;
  if (existing === undefined) {
    define(map, name, { value });
  } else if (existing.multiValue === undefined) {
    existing.multiValue = [{ value: existing.value }, { value }];
  } else {
    existing.multiValue.push({ value });
  }
}

/** Parses a raw query string (without `?`) into the event shape, decoding nothing. */
export function parseQueryString(query: string): CloudFrontValueMap {
  const map: CloudFrontValueMap = {};
  if (query === '') return map;
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = eq === -1 ? pair : pair.slice(0, eq);
    const value = eq === -1 ? '' : pair.slice(eq + 1);
    addValue(map, name, value);
  }
  return map;
}

/** Joins the event's query-string object back into `a=1&a=2&b=3`, encoding nothing. */
export function toQueryString(querystring: CloudFrontValueMap): string {
  const parts: string[] = [];
  for (const name of Object.keys(querystring)) {
    const entry = querystring[name];
    const values = entry.multiValue !== undefined ? entry.multiValue.map((v) => v.value) : [entry.value];
    for (const value of values) parts.push(`${name}=${value}`);
  }
  return parts.join('&');
}

function parseCookies(header: string, cookies: Record<string, CloudFrontCookieValue>): void {
  for (const part of header.split(';')) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    const name = eq === -1 ? trimmed : trimmed.slice(0, eq);
    const value = eq === -1 ? '' : trimmed.slice(eq + 1);
    const existing = own(cookies, name) ? cookies[name] : undefined;
    if (existing === undefined) define(cookies, name, { value });
    else if (existing.multiValue === undefined) existing.multiValue = [{ value: existing.value }, { value }];
    else existing.multiValue.push({ value });
  }
}

/** Builds a viewer-request event from an HTTP request. */
export function toCloudFrontEvent(method: string, url: string, headers: HttpHeaders, viewerIp = '127.0.0.1'): CloudFrontEvent {
  const q = url.indexOf('?');
  const uri = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q + 1);
  const request: CloudFrontRequest = {
    method: method.toUpperCase(),
    uri: uri === '' ? '/' : uri,
    querystring: parseQueryString(query),
    headers: {},
    cookies: {},
  };
  for (const [rawName, raw] of Object.entries(headers)) {
    if (raw === undefined) continue;
    const name = rawName.toLowerCase();
    const values = Array.isArray(raw) ? raw : [raw];
    for (const value of values) {
      if (name === 'cookie') parseCookies(value, request.cookies);
      else addValue(request.headers, name, value);
    }
  }
  return {
    version: '1.0',
    context: { eventType: 'viewer-request' },
    viewer: { ip: viewerIp },
    request,
  };
}

/** Turns the request a function returned back into what goes to the origin. */
export function fromCloudFrontRequest(request: CloudFrontRequest): HttpRequestParts {
  const headers: Record<string, string[]> = {};
  for (const name of Object.keys(request.headers)) {
    const entry = request.headers[name];
    define(headers, name, entry.multiValue !== undefined ? entry.multiValue.map((v) => v.value) : [entry.value]);
  }
  const cookieParts: string[] = [];
  for (const name of Object.keys(request.cookies ?? {})) {
    const entry = request.cookies[name];
    const values = entry.multiValue !== undefined ? entry.multiValue.map((v) => v.value) : [entry.value];
    for (const value of values) cookieParts.push(`${name}=${value}`);
  }
  if (cookieParts.length > 0) define(headers, 'cookie', [cookieParts.join('; ')]);
  const query = toQueryString(request.querystring ?? {});
  return { method: request.method, url: query === '' ? request.uri : `${request.uri}?${query}`, headers };
}
