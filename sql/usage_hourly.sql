-- Per-key usage of a run of partition hours within one UTC day (docs/contracts.md, "Billing semantics").
-- One text for Athena engine v3 (Trino) and DuckDB; both read it unchanged:
--   Athena: `cloudfront_logs` is the Glue table (query execution context = the Glue database);
--           the five `?` are ExecutionParameters.
--   DuckDB: `cloudfront_logs` is a view over read_parquet(<root>/AWSLogs/**/*.parquet) with Hive
--           partitioning (usage-job/duckdb-engine.ts); the five `?` are prepared-statement
--           parameters.
-- Parameters, all integers: year, month, day, first hour, last hour (partition values; the
-- partition columns are int as in AWS's DDL for v2 Parquet logs,
-- docs.aws.amazon.com/athena/latest/ug/create-cloudfront-table-partition-parquet.html).
--
-- * Reads only the columns the usage needs (sql/log-columns.ts, usage: true).
-- * Filters on the partition columns only, so the engines read only the asked hours.
-- * Attribution (docs/contracts.md, "Billing semantics"): a record belongs to a key only through
--   viewer_request_log_data, the field the edge function alone writes (cf.logCustomData). apikey_fp
--   is that whole value when it is a fingerprint (exactly 16 lowercase hex characters), else NULL
--   ('-' when the function logged nothing, NULL when the column is absent). The query string
--   (cs_uri_query) is what the viewer typed and is never read. regexp_extract gives NULL (Trino)
--   or '' (DuckDB) without a match; NULLIF makes both NULL. The length test keeps Joni's `$`
--   (which also matches before a final newline) from letting a longer value through.
-- * Every column is a string with '-' for empty: TRY_CAST, unparsable numbers count as 0 bytes.
-- * A record logged twice (same x_edge_request_id in the same partition hour, e.g. a re-delivered
--   file; late records go to the partition of the hour they occurred in) counts once: the
--   representative is the first by a total order of the columns read, so the pick is deterministic.
-- * A usage lookup (cs_method GET and cs_uri_stem exactly '/usage', the route of
--   lambdas/handlers/usage.ts, which uses no quota) is never billed: it counts in `total` and in
--   none of requests, rejected, errors, bytes_out, bytes_in. cs_uri_stem is the path the viewer
--   requested; any other spelling of it is not the lookup route's and counts as usual.
-- * The month of a record is the month of its `date` column (usage_month), not of its partition.
--   Records whose `date` is not a date cannot be assigned to a month and are left out.
WITH records AS (
  SELECT
    year,
    month,
    day,
    hour,
    "date" AS log_date,
    TRY_CAST(sc_status AS INTEGER) AS status,
    COALESCE(TRY_CAST(sc_bytes AS BIGINT), 0) AS bytes_out,
    COALESCE(TRY_CAST(cs_bytes AS BIGINT), 0) AS bytes_in,
    CASE WHEN cs_method = 'GET' AND cs_uri_stem = '/usage' THEN 1 ELSE 0 END AS usage_lookup,
    CASE
      WHEN length(viewer_request_log_data) = 16
        AND NULLIF(regexp_extract(viewer_request_log_data, '^[0-9a-f]{16}$'), '') IS NOT NULL
      THEN viewer_request_log_data
    END AS apikey_fp,
    ROW_NUMBER() OVER (
      PARTITION BY year, month, day, hour, x_edge_request_id
      ORDER BY "date", "time", sc_status, sc_bytes, cs_bytes, viewer_request_log_data, cs_method, cs_uri_stem
    ) AS copy_number
  FROM cloudfront_logs
  WHERE year = ? AND month = ? AND day = ? AND hour BETWEEN ? AND ?
)
SELECT
  CAST(year AS VARCHAR) || '-' || lpad(CAST(month AS VARCHAR), 2, '0') || '-'
    || lpad(CAST(day AS VARCHAR), 2, '0') || 'T' || lpad(CAST(hour AS VARCHAR), 2, '0') AS hour_id,
  substr(log_date, 1, 7) AS usage_month,
  apikey_fp,
  CAST(SUM(CASE WHEN usage_lookup = 0 AND status BETWEEN 200 AND 399 THEN 1 ELSE 0 END) AS BIGINT) AS requests,
  CAST(SUM(CASE WHEN usage_lookup = 0 AND status BETWEEN 400 AND 499 THEN 1 ELSE 0 END) AS BIGINT) AS rejected,
  CAST(SUM(CASE WHEN usage_lookup = 0 AND status BETWEEN 500 AND 599 THEN 1 ELSE 0 END) AS BIGINT) AS errors,
  CAST(COUNT(*) AS BIGINT) AS total,
  CAST(SUM(CASE WHEN usage_lookup = 0 AND status BETWEEN 200 AND 399 THEN bytes_out ELSE 0 END) AS BIGINT) AS bytes_out,
  CAST(SUM(CASE WHEN usage_lookup = 0 AND status BETWEEN 200 AND 399 THEN bytes_in ELSE 0 END) AS BIGINT) AS bytes_in
FROM records
WHERE copy_number = 1
  AND TRY_CAST(log_date AS DATE) IS NOT NULL
GROUP BY year, month, day, hour, substr(log_date, 1, 7), apikey_fp
ORDER BY hour_id, usage_month, apikey_fp
