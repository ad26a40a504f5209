/**
 * The /_usage page: month-to-date usage per key (requests, quota used with a bar, bytes out,
 * rejected, errors), unattributed traffic, and an hourly chart of billable requests stacked per
 * key, drawn as inline SVG (no script, no CDN). The page reloads itself every few seconds.
 */
import { chargesFor } from '../../contracts/prices';
import type { RegistryRevision } from '../../usage-job/customers';
import type { KeyMonthUsage, MonthUsage } from '../../usage-job/month-figures';
import type { PricesConfig } from '../../config/types';

export interface HourBar {
  /** 'YYYY-MM-DDTHH' */
  readonly hour: string;
  /** Billable requests per key id in that hour. */
  readonly requestsByKey: Readonly<Record<string, number>>;
}

export interface UsageSnapshot {
  readonly usage: MonthUsage;
  readonly hours: readonly HourBar[];
  /** ISO time the usage job finished. */
  readonly computedAt: string;
  /** Log records on disk when the job ran. */
  readonly logRecords: number;
  readonly logRoot: string;
  /** The environment's quota thresholds (alarms.quotaPercentThresholds, ascending), as the alarms and notices use them. */
  readonly quotaThresholds: readonly number[];
  /** The key registry revision the figures were attributed with. */
  readonly registry?: RegistryRevision;
  /** Each customer's plan by customer id (its price is the plan's). */
  readonly plans: Readonly<Record<string, string>>;
}

const COLORS = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2', '#4b5563'];

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const int = (n: number) => n.toLocaleString('en-US');

export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * The bar's colour from the configured thresholds: green below the first, red at or over the last
 * (or 100 %, where API Gateway answers 429), amber in between.
 */
export function quotaColor(percent: number, thresholds: readonly number[]): string {
  const reached = thresholds.filter((t) => percent >= t);
  if (percent >= 100 || (thresholds.length > 0 && reached.length === thresholds.length)) return '#dc2626';
  return reached.length > 0 ? '#d97706' : '#16a34a';
}

function keyRow(key: KeyMonthUsage, color: string, amount: number | undefined, thresholds: readonly number[]): string {
  const percent = key.quotaUsedPercent;
  const width = Math.min(100, Math.max(0, percent));
  const barColor = quotaColor(percent, thresholds);
  const reached = thresholds.filter((t) => percent >= t);
  const marks = thresholds
    .filter((t) => t <= 100)
    .map((t) => `<i class="mark" data-threshold="${t}" style="left:${t.toFixed(1)}%"></i>`)
    .join('');
  return `<tr data-key="${escapeHtml(key.id)}">
  <td><span class="swatch" style="background:${color}"></span>${escapeHtml(key.id)}</td>
  <td>${escapeHtml(key.name)}</td>
  <td class="num" data-field="requests">${int(key.requests)}</td>
  <td class="num" data-field="quota">${int(key.quota)}</td>
  <td><div class="quota-bar" title="${percent.toFixed(1)} %"><div style="width:${width.toFixed(1)}%;background:${barColor}"></div>${marks}</div>
      <span class="num" data-field="quotaUsedPercent">${percent.toFixed(1)} %</span></td>
  <td data-field="thresholdsReached">${reached.map((t) => `${t} %`).join(', ') || '—'}</td>
  <td class="num" data-field="bytesOut" data-bytes="${key.bytesOut}">${formatBytes(key.bytesOut)}</td>
  <td class="num" data-field="rejected">${int(key.rejected)}</td>
  <td class="num" data-field="errors">${int(key.errors)}</td>
  <td class="num" data-field="amount">${amount === undefined ? 'no price' : amount.toFixed(2)}</td>
</tr>`;
}

/** Last 24 hours as slots, so the chart reads as a timeline: hour ids ending at `lastHour`. */
export function last24Hours(lastHour: string): string[] {
  const end = Date.parse(`${lastHour}:00:00Z`);
  return Array.from({ length: 24 }, (_, i) => new Date(end - (23 - i) * 3_600_000).toISOString().slice(0, 13));
}

/** Stacked bars of billable requests per key, one slot per hour of the last 24 (UTC). */
export function hourlyChart(hours: readonly HourBar[], keyIds: readonly string[], lastHour: string): string {
  const byHour = new Map(hours.map((h) => [h.hour, h]));
  const shown: HourBar[] = last24Hours(lastHour).map((hour) => byHour.get(hour) ?? { hour, requestsByKey: {} });
  const width = 720;
  const height = 200;
  const left = 48;
  const bottom = 28;
  const plotH = height - bottom - 10;
  const totals = shown.map((h) => keyIds.reduce((s, id) => s + (h.requestsByKey[id] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const slot = shown.length === 0 ? 0 : (width - left - 10) / shown.length;
  const barW = Math.max(2, Math.min(40, slot * 0.7));
  const parts: string[] = [];
  parts.push(`<line x1="${left}" y1="${10 + plotH}" x2="${width - 10}" y2="${10 + plotH}" stroke="#9ca3af"/>`);
  parts.push(`<text x="${left - 6}" y="16" text-anchor="end" class="axis">${int(max)}</text>`);
  parts.push(`<text x="${left - 6}" y="${10 + plotH}" text-anchor="end" class="axis">0</text>`);
  shown.forEach((h, i) => {
    const x = left + i * slot + (slot - barW) / 2;
    let y = 10 + plotH;
    keyIds.forEach((id, k) => {
      const n = h.requestsByKey[id] ?? 0;
      if (n === 0) return;
      const barH = (n / max) * plotH;
      y -= barH;
      parts.push(
        `<rect class="hour-bar" data-hour="${h.hour}" data-key="${escapeHtml(id)}" data-requests="${n}" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barW.toFixed(1)}" height="${barH.toFixed(1)}" fill="${COLORS[k % COLORS.length]}"><title>${h.hour}:00Z ${escapeHtml(id)}: ${int(n)}</title></rect>`,
      );
    });
    if (i % 3 === 2) {
      parts.push(
        `<text x="${(x + barW / 2).toFixed(1)}" y="${height - 10}" text-anchor="middle" class="axis">${h.hour.slice(8, 10)} ${h.hour.slice(11)}h</text>`,
      );
    }
  });
  if (totals.every((t) => t === 0)) {
    parts.push(`<text x="${width / 2}" y="${height / 2}" text-anchor="middle" class="axis">no billable requests in the last 24 hours</text>`);
  }
  return `<svg id="hourly-chart" role="img" aria-label="Billable requests per hour (UTC), stacked by key" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

export function renderUsagePage(snapshot: UsageSnapshot | undefined, refreshSeconds: number, prices: PricesConfig): string {
  const head = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Usage — local platform</title>
<meta http-equiv="refresh" content="${refreshSeconds}"><link rel="icon" href="data:,">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#111827;background:#fff}
h1{font-size:20px;margin:0 0 4px} p.meta{color:#4b5563;margin:0 0 16px}
table{border-collapse:collapse;margin:0 0 20px} th,td{padding:6px 10px;border-bottom:1px solid #e5e7eb;text-align:left}
th{background:#f3f4f6;font-weight:600} td.num,span.num{font-variant-numeric:tabular-nums} td.num{text-align:right}
.quota-bar{position:relative;display:inline-block;width:120px;height:10px;background:#e5e7eb;border-radius:5px;overflow:hidden;vertical-align:middle;margin-right:6px}
.quota-bar .mark{position:absolute;top:0;bottom:0;width:1px;background:#111827}
.quota-bar div{height:100%} .swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
.axis{font-size:11px;fill:#4b5563} h2{font-size:16px;margin:16px 0 8px}
</style></head><body>`;
  if (snapshot === undefined) {
    return `${head}<h1>Usage</h1><p class="meta">The usage job has not finished its first run yet; this page reloads itself.</p></body></html>`;
  }
  const { usage } = snapshot;
  const keyIds = usage.keys.map((k) => k.id);
  const thresholds = snapshot.quotaThresholds;
  const amountOf = (k: KeyMonthUsage): number | undefined => {
    const price = prices.plans[snapshot.plans[k.id] ?? ''];
    return price === undefined ? undefined : chargesFor(price, k).total;
  };
  const rows = usage.keys.map((k, i) => keyRow(k, COLORS[i % COLORS.length], amountOf(k), thresholds)).join('\n');
  return `${head}
<h1>Usage, month to date (${escapeHtml(usage.month)}, UTC)</h1>
<p class="meta">Computed by the usage job on DuckDB at ${escapeHtml(snapshot.computedAt)} from ${int(snapshot.logRecords)} log records in ${escapeHtml(snapshot.logRoot)}.
Billable = status 200-399; rejected = 4xx; errors = 5xx. Amount = the invoice line so far at the
customer's plan's tiered prices (docs/prices.md). JSON: <a href="/_usage.json">/_usage.json</a>.</p>
<p class="meta" id="quota-thresholds">Quota thresholds: ${thresholds.map((t) => `${t} %`).join(', ')} (alarms.quotaPercentThresholds: the same thresholds the alarms, the dashboard and the quota notices use; marks on each bar).</p>
<table id="usage-table">
<thead><tr><th>Key</th><th>Customer</th><th>Requests</th><th>Monthly quota</th><th>Quota used</th><th>Thresholds reached</th><th>Bytes out</th><th>Rejected</th><th>Errors</th><th>Amount (${escapeHtml(prices.currency)})</th></tr></thead>
<tbody>
${rows}
</tbody>
<tfoot><tr id="unattributed"><td colspan="2">Unattributed (no known key fingerprint; never billed)</td><td class="num" data-field="unattributed">${int(usage.unattributed.requests)}</td><td colspan="7"></td></tr></tfoot>
</table>
<h2>Billable requests per hour, last 24 hours (UTC)</h2>
${hourlyChart(snapshot.hours, keyIds, snapshot.computedAt.slice(0, 13))}
</body></html>`;
}
