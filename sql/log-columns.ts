/**
 * Contract 3 (DESIGN.md): the CloudFront standard logging v2 record fields we deliver, in one place.
 *
 * `field` is the record-field name the CloudWatch Logs delivery takes (`record_fields`);
 * `column` is the Parquet column name, as in AWS's published Athena DDL for v2 Parquet logs
 * (docs.aws.amazon.com/athena/latest/ug/create-cloudfront-table-partition-parquet.html):
 * underscores for hyphens, every column a string, `-` for an empty field.
 *
 * The Glue table, the delivery's record fields, the local log writer and the test fixtures are
 * all generated from this list. The usage SQL reads only the columns marked `usage`.
 */
export interface LogColumn {
  readonly field: string;
  readonly column: string;
  /** Read by the usage SQL (sql/). The rest is there to investigate a request. */
  readonly usage: boolean;
  readonly comment: string;
}

export const LOG_COLUMNS: readonly LogColumn[] = [
  { field: 'date', column: 'date', usage: true, comment: 'UTC date of the request, YYYY-MM-DD' },
  { field: 'time', column: 'time', usage: true, comment: 'UTC time the response finished, HH:MM:SS' },
  { field: 'x-edge-location', column: 'x_edge_location', usage: false, comment: 'edge location code' },
  { field: 'sc-bytes', column: 'sc_bytes', usage: true, comment: 'bytes sent to the viewer, headers included' },
  { field: 'c-ip', column: 'c_ip', usage: false, comment: 'viewer IP address' },
  { field: 'cs-method', column: 'cs_method', usage: false, comment: 'HTTP method' },
  { field: 'cs-uri-stem', column: 'cs_uri_stem', usage: false, comment: 'path' },
  { field: 'sc-status', column: 'sc_status', usage: true, comment: 'HTTP status; 000 when the viewer closed the connection first' },
  { field: 'cs-user-agent', column: 'cs_user_agent', usage: false, comment: 'URL-encoded user agent' },
  { field: 'cs-uri-query', column: 'cs_uri_query', usage: true, comment: 'query string after the edge function, holds apikey_fp' },
  { field: 'x-edge-result-type', column: 'x_edge_result_type', usage: false, comment: 'Hit, Miss, Error, ...' },
  { field: 'x-edge-request-id', column: 'x_edge_request_id', usage: true, comment: 'unique request id; deduplication key' },
  { field: 'x-host-header', column: 'x_host_header', usage: false, comment: 'Host header the viewer sent' },
  { field: 'cs-protocol', column: 'cs_protocol', usage: false, comment: 'http, https, ws, wss' },
  { field: 'cs-bytes', column: 'cs_bytes', usage: true, comment: 'bytes the viewer sent, headers included' },
  { field: 'time-taken', column: 'time_taken', usage: false, comment: 'seconds from request to last byte' },
  { field: 'x-edge-response-result-type', column: 'x_edge_response_result_type', usage: false, comment: 'result type of the response' },
  { field: 'x-edge-detailed-result-type', column: 'x_edge_detailed_result_type', usage: false, comment: 'detailed result, e.g. FunctionGeneratedResponse' },
  { field: 'sc-content-type', column: 'sc_content_type', usage: false, comment: 'response Content-Type' },
] as const;

export const LOG_COLUMN_NAMES: readonly string[] = LOG_COLUMNS.map((c) => c.column);
export const LOG_RECORD_FIELDS: readonly string[] = LOG_COLUMNS.map((c) => c.field);

/** Hive-style partition keys of the delivery path, in path order (two-digit month/day/hour). */
export const PARTITION_KEYS = ['year', 'month', 'day', 'hour'] as const;

/** Suffix path of the v2 delivery; with the Hive-compatible option each segment becomes key=value. */
export const DELIVERY_SUFFIX_PATH = '{DistributionId}/{yyyy}/{MM}/{dd}/{HH}';

/** The partition part of one hour's path: year=YYYY/month=MM/day=DD/hour=HH (no slash at either end). */
export function hourPartitionPath(hourStartUtc: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `year=${hourStartUtc.getUTCFullYear()}/month=${pad(hourStartUtc.getUTCMonth() + 1)}/` +
    `day=${pad(hourStartUtc.getUTCDate())}/hour=${pad(hourStartUtc.getUTCHours())}`
  );
}

/**
 * Object prefix of one hour's logs under the bucket root, as delivered with the Hive-compatible
 * option: AWSLogs/aws-account-id=<account>/CloudFront/DistributionId=<id>/year=YYYY/month=MM/day=DD/hour=HH/
 */
export function hourPrefix(accountId: string, distributionId: string, hourStartUtc: Date): string {
  return `AWSLogs/aws-account-id=${accountId}/CloudFront/DistributionId=${distributionId}/${hourPartitionPath(hourStartUtc)}/`;
}
