/**
 * Where the invoice of record lives: the environment's usage bucket (versioned), one object per
 * usage-workflow run and month, never overwritten (written with If-None-Match: *, and the usage-job
 * role is denied any other put under the prefix). Keys:
 *
 *   invoices/<environment>/<YYYY-MM>/run-<run id>-attempt-<attempt>.csv
 *
 * The newest object of a month is its latest figures; the object of the last run after the month's
 * late window has `final` lines.
 */
export const INVOICE_PREFIX = 'invoices/';

export function invoiceObjectKey(environment: string, month: string, runId: string, runAttempt: string): string {
  if (!/^[a-z][a-z0-9-]*$/.test(environment)) throw new Error(`invoice key: bad environment name "${environment}"`);
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new Error(`invoice key: month must be YYYY-MM, got "${month}"`);
  if (!/^\d+$/.test(runId) || !/^\d+$/.test(runAttempt)) throw new Error(`invoice key: run id and attempt must be numbers, got "${runId}" and "${runAttempt}"`);
  return `${INVOICE_PREFIX}${environment}/${month}/run-${runId}-attempt-${runAttempt}.csv`;
}
