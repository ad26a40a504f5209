/**
 * Builds one CloudFront standard-log record (the delivered fields of sql/log-columns.ts) for a
 * response the local edge sent. Field meanings follow the standard logging reference:
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logs-reference.html
 *  - date/time: when the response finished, UTC;
 *  - sc_bytes / cs_bytes: bytes on the wire including headers;
 *  - cs-uri-query: the query string as the viewer sent it (CloudFront logs the request it received,
 *    not what a function changed), '-' when empty;
 *  - viewer-request-log-data: what the viewer-request function passed to cf.logCustomData, as
 *    CloudFront writes it (cf-functions/log-data.ts), '-' when it logged nothing (its own 403s);
 *  - cs(User-Agent): URL-encoded for spaces, control and non-ASCII characters and < > " # % { } | \ ^ ~ [ ] ` '
 *  - x_edge_result_type: Miss for a response from the origin (caching is disabled), Error for a
 *    4xx/5xx from it, FunctionGeneratedResponse when the viewer-request function answered (the
 *    value CloudFront sends in `x-cache: FunctionGeneratedResponse from cloudfront`; the log
 *    reference page does not list it for these fields, so that mapping is our assumption).
 */
import { randomBytes } from 'node:crypto';
import { LOG_COLUMNS } from '../../sql/log-columns';

export type LogRecordRow = Readonly<Record<string, string>>;

export type EdgeResultKind = 'origin' | 'function' | 'aborted';

export interface ServedRequest {
  readonly startedMs: number;
  readonly finishedMs: number;
  readonly edgeLocation: string;
  readonly clientIp: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly userAgent: string | undefined;
  /** Query string as the viewer sent it, without '?'. */
  readonly viewerQuery: string;
  /** The viewer-request-log-data field: what the edge function logged, '-' for nothing. */
  readonly logData: string;
  readonly edgeRequestId: string;
  readonly host: string | undefined;
  readonly protocol: 'http' | 'https';
  readonly requestBytes: number;
  readonly responseBytes: number;
  readonly contentType: string | undefined;
  readonly result: EdgeResultKind;
}

/** CloudFront-style request id: 56 characters of URL-safe base64 (42 random bytes). */
export function newEdgeRequestId(): string {
  return randomBytes(42).toString('base64url');
}

// Control characters are among those CloudFront URL-encodes in log fields, so the class names them.
// eslint-disable-next-line no-control-regex
const ENCODE = /[\x00-\x20\x7f-\u{10ffff}<>"#%{}|\\^~[\]`']/gu;

export function encodeLogField(value: string): string {
  return value.replace(ENCODE, (ch) => encodeURIComponent(ch).replace(/[!'()*~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()));
}

const dash = (value: string | undefined): string => (value === undefined || value === '' ? '-' : value);

export function buildLogRecord(r: ServedRequest): LogRecordRow {
  const finished = new Date(r.finishedMs).toISOString();
  const status = r.result === 'aborted' ? '000' : String(r.status);
  const resultType = r.result === 'function' ? 'FunctionGeneratedResponse' : r.result === 'aborted' || r.status >= 400 ? 'Error' : 'Miss';
  const detailed = r.result === 'aborted' ? 'ClientCommError' : resultType === 'Error' ? 'Error' : resultType;
  const byField: Record<string, string> = {
    date: finished.slice(0, 10),
    time: finished.slice(11, 19),
    'x-edge-location': r.edgeLocation,
    'sc-bytes': String(r.responseBytes),
    'c-ip': dash(r.clientIp),
    'cs-method': r.method,
    'cs-uri-stem': dash(encodeLogField(r.path)),
    'sc-status': status,
    'cs(User-Agent)': dash(r.userAgent === undefined ? undefined : encodeLogField(r.userAgent)),
    'cs-uri-query': dash(r.viewerQuery),
    'x-edge-result-type': resultType,
    'x-edge-request-id': r.edgeRequestId,
    'x-host-header': dash(r.host),
    'cs-protocol': r.protocol,
    'cs-bytes': String(r.requestBytes),
    'time-taken': (Math.max(0, r.finishedMs - r.startedMs) / 1000).toFixed(3),
    'x-edge-response-result-type': resultType,
    'x-edge-detailed-result-type': detailed,
    'sc-content-type': dash(r.contentType),
    'viewer-request-log-data': dash(r.logData),
  };
  // Every delivered column, in order, and nothing else.
  return Object.fromEntries(LOG_COLUMNS.map((c) => [c.column, byField[c.field] ?? '-']));
}
