/**
 * The usage SQL's result set as Athena returns it, for tests that script or seed Athena: a header
 * row of the column names, then one row per result; every cell is a VarCharValue, NULL an empty cell.
 */
import type { SeededAthenaResult } from '../../../test-support/moto-server';

/** The columns sql/usage_hourly.sql selects, in order. */
export const USAGE_RESULT_COLUMNS = ['hour_id', 'usage_month', 'apikey_fp', 'requests', 'rejected', 'errors', 'total', 'bytes_out', 'bytes_in'] as const;

export interface ResultRow {
  readonly Data: { readonly VarCharValue?: string }[];
}

export function resultRow(values: readonly (string | null)[]): ResultRow {
  return { Data: values.map((v) => (v === null ? {} : { VarCharValue: v })) };
}

/** A result set moto's queue takes; `columnType` gives each column's declared type (default varchar). */
export function seededUsageResult(rows: readonly (readonly (string | null)[])[], columnType: (index: number) => string = () => 'varchar'): SeededAthenaResult {
  return {
    rows: [resultRow(USAGE_RESULT_COLUMNS), ...rows.map(resultRow)],
    column_info: USAGE_RESULT_COLUMNS.map((Name, i) => ({ Name, Type: columnType(i) })),
  };
}
