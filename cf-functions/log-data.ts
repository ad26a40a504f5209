/**
 * What CloudFront writes into the access-log field `viewer-request-log-data` for one request,
 * given the values the viewer-request function passed to `cf.logCustomData` (docs/contracts.md,
 * section "Edge function"): `-` when the function did not call it, otherwise the value
 * URL-encoded and cut at 800 bytes.
 */

export const LOG_DATA_MAX_BYTES = 800;
/** The field's value when the function did not call logCustomData. */
export const NO_LOG_DATA = '-';

/** Lone UTF-16 surrogates, which encodeURIComponent refuses and UTF-8 encoders write as U+FFFD. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function logDataField(logData: readonly string[]): string {
  if (logData.length === 0) return NO_LOG_DATA;
  // Assumption: with several calls the last value wins. CloudFront does not document it; our
  // function calls logCustomData exactly once per forwarded request (the tests assert that).
  const value = logData[logData.length - 1];
  // U+FFFD for a lone surrogate is also an assumption; our function only logs hex digits.
  const encoded = encodeURIComponent(value.replace(LONE_SURROGATE, '\ufffd'));
  // encodeURIComponent's output is ASCII, so characters are bytes.
  if (encoded.length <= LOG_DATA_MAX_BYTES) return encoded;
  const cut = encoded.slice(0, LOG_DATA_MAX_BYTES);
  const percent = cut.lastIndexOf('%');
  // A "%" in the last two places starts an escape the cut would split: drop the partial escape.
  return percent >= LOG_DATA_MAX_BYTES - 2 ? cut.slice(0, percent) : cut;
}
