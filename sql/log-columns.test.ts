/** The delivered log fields: names AWS accepts, columns derived by one rule, usage columns present. */
import { ACCEPTED_RECORD_FIELDS, DEFAULT_RECORD_FIELDS, parquetColumnName } from './cloudfront-log-fields';
import { columnOf, LOG_COLUMN_NAMES, LOG_COLUMNS, LOG_RECORD_FIELDS, logColumn } from './log-columns';
import { USAGE_COLUMNS } from './usage-query';

test('derives each Parquet column from its field: runs outside [A-Za-z0-9] become one underscore, no trailing one', () => {
  expect(parquetColumnName('cs(User-Agent)')).toBe('cs_User_Agent');
  expect(parquetColumnName('cs(Host)')).toBe('cs_Host');
  expect(parquetColumnName('viewer-request-log-data')).toBe('viewer_request_log_data');
  expect(parquetColumnName('cs-uri-query')).toBe('cs_uri_query');
  expect(parquetColumnName('timestamp(ms)')).toBe('timestamp_ms');
  expect(parquetColumnName('date')).toBe('date');
  expect(LOG_COLUMNS.find((c) => c.field === 'cs(User-Agent)')?.column).toBe('cs_User_Agent');
});

test('every delivered field is one CloudFront accepts, spelled as AWS lists it', () => {
  expect(LOG_RECORD_FIELDS.filter((f) => !ACCEPTED_RECORD_FIELDS.has(f))).toEqual([]);
  // A name AWS does not list (the real-time spelling) is refused when the list is built.
  expect(() => logColumn('cs-user-agent', false, 'user agent')).toThrow(/"cs-user-agent" is not a record field CloudFront accepts/);
  expect(LOG_RECORD_FIELDS).toContain('viewer-request-log-data');
  expect(LOG_RECORD_FIELDS).not.toContain('cs-user-agent');
  expect(ACCEPTED_RECORD_FIELDS.has('cs-user-agent')).toBe(false);
  expect(DEFAULT_RECORD_FIELDS).toHaveLength(35);
  expect(new Set(LOG_COLUMN_NAMES).size).toBe(LOG_COLUMN_NAMES.length);
});

test('the usage SQL reads the fingerprint from the log-data column and never the query string', () => {
  expect(USAGE_COLUMNS).toContain('viewer_request_log_data');
  expect(USAGE_COLUMNS).not.toContain('cs_uri_query');
  expect(columnOf('viewer-request-log-data')).toBe('viewer_request_log_data');
  expect(() => columnOf('cs(Cookie)')).toThrow(/not one of the delivered log fields/);
});
