/** A person-readable table of a month's usage (CLI --format table). */
import type { MonthUsage } from './month-figures';

const int = (n: number): string => n.toLocaleString('en-US');

function bytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(2)} ${units[unit]}`;
}

export function usageTable(usage: MonthUsage): string {
  const header = ['key', 'name', 'requests', 'rejected', 'errors', 'bytes out', 'quota', 'quota used'];
  const rows = usage.keys.map((k) => [
    k.id,
    k.name,
    int(k.requests),
    int(k.rejected),
    int(k.errors),
    bytes(k.bytesOut),
    int(k.quota),
    `${k.quotaUsedPercent.toFixed(2)} %`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const numeric = new Set([2, 3, 4, 5, 6, 7]);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const out = [
    `Usage for ${usage.month} (month to date, UTC)`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    `unattributed requests (no known apikey_fp, never billed): ${int(usage.unattributed.requests)} of ${int(usage.totalRequests)}`,
  ];
  return `${out.join('\n')}\n`;
}
