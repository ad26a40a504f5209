/**
 * Builds one CloudFront standard-log record (contract 3 columns, sql/log-columns.ts) for a
 * response the local edge sent. Field meanings follow the standard logging reference:
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logs-reference.html
 *  - date/time: when the response finished, UTC;
 *  - sc_bytes / cs_bytes: bytes on the wire including headers;
 *  - cs_uri_query: the query string the origin received, i.e. after the edge function (it holds
 *    apikey_fp), '-' when empty;
 *  - cs_user_agent: URL-encoded for spaces, control and non-ASCII characters and < > " # % { } | \ ^ ~ [ ] ` '
 *  - x_edge_result_type: Miss for a response from the origin (caching is disabled), Error for a
 *    4xx/5xx from it, FunctionGeneratedResponse when the viewer-request function answered (the
 *    value CloudFront sends in `x-cache: FunctionGeneratedResponse from cloudfront`; the log
 *    reference page does not list it for these fields, so that mapping is our assumption).
 */
import { randomBytes } from 'node:crypto';
import { LOG_COLUMN_NAMES } from '../../sql/log-columns';

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
  /** Query string after the edge function, without '?'. */
  readonly queryAfterEdge: string;
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
  const resultType =
    r.result === 'function' ? 'FunctionGeneratedResponse' : r.result === 'aborted' || r.status >= 400 ? 'Error' : 'Miss';
  const detailed = r.result === 'aborted' ? 'ClientCommError' : resultType === 'Error' ? 'Error' : resultType;
  const record: Record<string, string> = {
    date: finished.slice(0, 10),
    time: finished.slice(11, 19),
    x_edge_location: r.edgeLocation,
    sc_bytes: String(r.responseBytes),
    c_ip: dash(r.clientIp),
    cs_method: r.method,
    cs_uri_stem: dash(encodeLogField(r.path)),
    sc_status: status,
    cs_user_agent: dash(r.userAgent === undefined ? undefined : encodeLogField(r.userAgent)),
    cs_uri_query: dash(r.queryAfterEdge),
    x_edge_result_type: resultType,
    x_edge_request_id: r.edgeRequestId,
    x_host_header: dash(r.host),
    cs_protocol: r.protocol,
    cs_bytes: String(r.requestBytes),
    time_taken: (Math.max(0, r.finishedMs - r.startedMs) / 1000).toFixed(3),
    x_edge_response_result_type: resultType,
    x_edge_detailed_result_type: detailed,
    sc_content_type: dash(r.contentType),
  };
  // Every contract-3 column, in order, and nothing else.
  return Object.fromEntries(LOG_COLUMN_NAMES.map((c) => [c, record[c] ?? '-']));
}
