/** Builders of realistic log records for tests (every column filled as CloudFront would). */
import { randomBytes } from 'node:crypto';
import type { LogRecord } from '../log-writer';

let counter = 0;

/** A unique request id shaped like CloudFront's (base64-ish, 56 characters). */
export function requestId(): string {
  counter += 1;
  return `${randomBytes(36).toString('base64').replace(/[+/=]/g, 'x').slice(0, 50)}${String(counter).padStart(6, '0')}`;
}

export interface RecordSpec {
  /** ISO time of the request, e.g. 2026-11-03T07:15:00Z; sets `date` and `time`. */
  readonly at: string;
  readonly status?: number | string;
  /** The query string as the viewer sent it, '-' when none. Never attributes a request. */
  readonly query?: string;
  /** What the edge function logged (viewer_request_log_data): a key's fingerprint, or '-' for nothing. */
  readonly logData?: string;
  readonly bytesOut?: number | string;
  readonly bytesIn?: number | string;
  readonly requestId?: string;
  /** cs_method and cs_uri_stem; GET and /v1/data unless given. */
  readonly method?: string;
  readonly path?: string;
}

export function logRecord(spec: RecordSpec): LogRecord {
  const at = new Date(spec.at);
  if (Number.isNaN(at.getTime())) throw new Error(`bad time ${spec.at}`);
  const iso = at.toISOString();
  return {
    date: iso.slice(0, 10),
    time: iso.slice(11, 19),
    x_edge_location: 'FRA56-P4',
    sc_bytes: String(spec.bytesOut ?? 512),
    c_ip: '198.51.100.7',
    cs_method: spec.method ?? 'GET',
    cs_uri_stem: spec.path ?? '/v1/data',
    sc_status: String(spec.status ?? 200),
    cs_User_Agent: 'curl/8.5.0',
    cs_uri_query: spec.query ?? '-',
    x_edge_result_type: 'Miss',
    x_edge_request_id: spec.requestId ?? requestId(),
    x_host_header: 'd111111abcdef8.cloudfront.net',
    cs_protocol: 'https',
    cs_bytes: String(spec.bytesIn ?? 128),
    time_taken: '0.042',
    x_edge_response_result_type: 'Miss',
    x_edge_detailed_result_type: 'Miss',
    sc_content_type: 'application/json',
    viewer_request_log_data: spec.logData ?? '-',
  };
}
