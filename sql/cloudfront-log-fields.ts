/**
 * Record-field names CloudFront standard logging (v2) accepts for a distribution's ACCESS_LOGS
 * delivery, spelled exactly as AWS lists them. A name outside this list passes `terraform validate`
 * and plan and fails only at apply (the provider checks length, not names), so the billing stack's
 * delivery is tested against this list (stacks/billing/billing-stack.test.ts).
 *
 * Sources:
 * - CloudFront Developer Guide, "Configure standard logging (v2)": the create-delivery example's
 *   default record fields (the 35 names of DEFAULT_RECORD_FIELDS, in AWS's order) and the real-time
 *   fields v2 also accepts (timestamp(ms), origin-fbl, origin-lbl, asn, c-country,
 *   cache-behavior-path-pattern).
 *   https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging.html
 * - viewer-request-log-data / viewer-response-log-data, written by a CloudFront Function's
 *   cf.logCustomData(): terraform-provider-aws issue 49176 and PR 49177 (the provider's
 *   aws_cloudwatch_log_delivery example selects them); the AWS CDK enum
 *   CfnDistributionAccessLogsRecordFields, generated from AWS's service specification, lists both.
 * Header fields take parentheses (cs(User-Agent)); the real-time spellings (cs-user-agent) are not
 * v2 names.
 */

export const DEFAULT_RECORD_FIELDS = [
  'date',
  'time',
  'x-edge-location',
  'sc-bytes',
  'c-ip',
  'cs-method',
  'cs(Host)',
  'cs-uri-stem',
  'sc-status',
  'cs(Referer)',
  'cs(User-Agent)',
  'cs-uri-query',
  'cs(Cookie)',
  'x-edge-result-type',
  'x-edge-request-id',
  'x-host-header',
  'cs-protocol',
  'cs-bytes',
  'time-taken',
  'x-forwarded-for',
  'ssl-protocol',
  'ssl-cipher',
  'x-edge-response-result-type',
  'cs-protocol-version',
  'fle-status',
  'fle-encrypted-fields',
  'c-port',
  'time-to-first-byte',
  'x-edge-detailed-result-type',
  'sc-content-type',
  'sc-content-len',
  'sc-range-start',
  'sc-range-end',
  'c-country',
  'cache-behavior-path-pattern',
] as const;

/** Accepted beyond the defaults (same sources). */
export const OPTIONAL_RECORD_FIELDS = ['timestamp(ms)', 'origin-fbl', 'origin-lbl', 'asn', 'viewer-request-log-data', 'viewer-response-log-data'] as const;

export const ACCEPTED_RECORD_FIELDS: ReadonlySet<string> = new Set<string>([...DEFAULT_RECORD_FIELDS, ...OPTIONAL_RECORD_FIELDS]);

/**
 * The Parquet column CloudFront writes for a record field: every run of characters outside
 * [A-Za-z0-9] becomes one underscore, and a trailing underscore is dropped
 * (cs(User-Agent) -> cs_User_Agent, viewer-request-log-data -> viewer_request_log_data).
 * Athena and DuckDB match column names without regard to case, and AWS's Athena DDL for these
 * files spells them in lower case (cs_user_agent), so the letter case of a delivered file does not
 * change what the queries read.
 */
export function parquetColumnName(field: string): string {
  return field.replace(/[^A-Za-z0-9]+/g, '_').replace(/_$/, '');
}
