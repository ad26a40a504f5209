/**
 * The log layout (docs/contracts.md, "Log layout"): the CloudFront standard logging v2 record
 * fields we deliver, in one place. The delivery's record fields, the Glue table, the local log
 * writer and the test fixtures are all generated from this list; each Parquet column name is
 * derived from its field (parquetColumnName), never typed twice. The usage SQL reads only the
 * columns marked `usage`.
 */
import { ACCEPTED_RECORD_FIELDS, parquetColumnName } from './cloudfront-log-fields';

export interface LogColumn {
  /** Record-field name as the delivery takes it (`record_fields`), e.g. cs(User-Agent). */
  readonly field: string;
  /** Parquet column of the field, e.g. cs_User_Agent. */
  readonly column: string;
  /** Read by the usage SQL (sql/). The rest is there to investigate a request. */
  readonly usage: boolean;
  readonly comment: string;
}

export function logColumn(field: string, usage: boolean, comment: string): LogColumn {
  if (!ACCEPTED_RECORD_FIELDS.has(field)) throw new Error(`log field "${field}" is not a record field CloudFront accepts (sql/cloudfront-log-fields.ts)`);
  return { field, column: parquetColumnName(field), usage, comment };
}

export const LOG_COLUMNS: readonly LogColumn[] = [
  logColumn('date', true, 'UTC date of the request, YYYY-MM-DD; the request belongs to its month'),
  logColumn('time', true, 'UTC time the response finished, HH:MM:SS'),
  logColumn('x-edge-location', false, 'edge location code'),
  logColumn('sc-bytes', true, 'bytes sent to the viewer, headers included'),
  logColumn('c-ip', false, 'viewer IP address'),
  // cs-method and cs-uri-stem: the usage SQL reads them to never bill GET /usage lookups.
  logColumn('cs-method', true, 'HTTP method'),
  logColumn('cs-uri-stem', true, 'path'),
  logColumn('sc-status', true, 'HTTP status; 000 when the viewer closed the connection first'),
  logColumn('cs(User-Agent)', false, 'URL-encoded user agent'),
  logColumn('cs-uri-query', false, 'query string as the viewer sent it; plays no part in attribution'),
  logColumn('x-edge-result-type', false, 'Hit, Miss, Error, ...'),
  logColumn('x-edge-request-id', true, 'unique request id; deduplication key'),
  logColumn('x-host-header', false, 'Host header the viewer sent'),
  logColumn('cs-protocol', false, 'http, https, ws, wss'),
  logColumn('cs-bytes', true, 'bytes the viewer sent, headers included'),
  logColumn('time-taken', false, 'seconds from request to last byte'),
  logColumn('x-edge-response-result-type', false, 'result type of the response'),
  logColumn('x-edge-detailed-result-type', false, 'detailed result, e.g. FunctionGeneratedResponse'),
  logColumn('sc-content-type', false, 'response Content-Type'),
  logColumn('viewer-request-log-data', true, "key fingerprint the edge function logged (cf.logCustomData); '-' when it logged nothing"),
];

export const LOG_COLUMN_NAMES: readonly string[] = LOG_COLUMNS.map((c) => c.column);
export const LOG_RECORD_FIELDS: readonly string[] = LOG_COLUMNS.map((c) => c.field);

/** The Parquet column of a delivered field; throws for a field we do not deliver. */
export function columnOf(field: string): string {
  const found = LOG_COLUMNS.find((c) => c.field === field);
  if (found === undefined) throw new Error(`"${field}" is not one of the delivered log fields (sql/log-columns.ts)`);
  return found.column;
}

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

/** Object prefix of one distribution's logs, delivered with the Hive-compatible option. */
export function distributionPrefix(accountId: string, distributionId: string): string {
  return `AWSLogs/aws-account-id=${accountId}/CloudFront/DistributionId=${distributionId}/`;
}

/**
 * Object prefix of one hour's logs under the bucket root, as delivered with the Hive-compatible
 * option: AWSLogs/aws-account-id=<account>/CloudFront/DistributionId=<id>/year=YYYY/month=MM/day=DD/hour=HH/
 */
export function hourPrefix(accountId: string, distributionId: string, hourStartUtc: Date): string {
  return `${distributionPrefix(accountId, distributionId)}${hourPartitionPath(hourStartUtc)}/`;
}
