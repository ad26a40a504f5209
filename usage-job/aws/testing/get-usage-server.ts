/**
 * A GetUsage endpoint on 127.0.0.1 for tests (moto 5.2.5 does not implement API Gateway GetUsage).
 * It answers GET /usageplans/{id}/usage in the documented wire shape: {"values": {keyId:
 * [[used, remaining], ...one per day from startDate to endDate]}, "position"}, `pageSize` keys per
 * page, and 404 NotFoundException for an unknown plan.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** plan id -> key id -> day 'YYYY-MM-DD' -> used */
export type UsageByPlan = Record<string, Record<string, Record<string, number>>>;

export interface GetUsageServer {
  readonly requests: { path: string; query: Record<string, string> }[];
  start(): Promise<string>;
  stop(): Promise<void>;
}

function daysBetween(start: string, end: string): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${start}T00:00:00Z`), last = Date.parse(`${end}T00:00:00Z`); t <= last; t += 86_400_000) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

export function getUsageServer(plans: UsageByPlan, pageSize = 25, quota = 1_000_000): GetUsageServer {
  const requests: GetUsageServer['requests'] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push({ path: url.pathname, query: Object.fromEntries(url.searchParams) });
    const match = /^\/usageplans\/([^/]+)\/usage$/.exec(url.pathname);
    const plan = match ? plans[decodeURIComponent(match[1])] : undefined;
    const startDate = url.searchParams.get('startDate') ?? '';
    const endDate = url.searchParams.get('endDate') ?? '';
    if (plan === undefined) {
      res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'NotFoundException' });
      res.end(JSON.stringify({ message: 'Invalid Usage Plan ID specified' }));
      return;
    }
    const days = daysBetween(startDate, endDate);
    const keys = Object.keys(plan).sort();
    const first = Number(url.searchParams.get('position') ?? '0');
    const values: Record<string, number[][]> = {};
    for (const key of keys.slice(first, first + pageSize)) {
      let remaining = quota;
      values[key] = days.map((day) => {
        const used = plan[key][day] ?? 0;
        remaining -= used;
        return [used, remaining];
      });
    }
    const next = first + pageSize < keys.length ? { position: String(first + pageSize) } : {};
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ usagePlanId: match?.[1], startDate, endDate, values, ...next }));
  });
  return {
    requests,
    start: () => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))),
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
