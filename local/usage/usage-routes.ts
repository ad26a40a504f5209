/**
 * The platform's own pages, outside the metered API (never through the edge, never logged):
 *   GET /_usage        HTML page
 *   GET /_usage.json   the usage CLI's JSON document (docs/contracts.md), built by the CLI's own
 *                      builder (usage-job/usage-report.ts), plus the snapshot's computedAt, logRecords and
 *                      the key registry revision it was attributed with
 * `?refresh=1` flushes the log buffer and reruns the usage job before answering.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PricesConfig } from '../../config/types';
import { usageReport } from '../../usage-job/usage-report';
import type { InternalPages } from '../server';
import { renderUsagePage } from './usage-page';
import type { UsageRefresher } from './usage-refresher';

export function usageRoutes(refresher: UsageRefresher, refreshSeconds: number, prices: PricesConfig): InternalPages {
  return {
    async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET', 'content-type': 'text/plain' });
        res.end('only GET\n');
        return;
      }
      let snapshot = refresher.latest;
      if (url.searchParams.get('refresh') === '1' || snapshot === undefined) {
        try {
          snapshot = await refresher.refresh();
        } catch (error) {
          if (snapshot === undefined) {
            res.writeHead(503, { 'content-type': 'text/plain' });
            res.end(`usage job failed: ${(error as Error).message}\n`);
            return;
          }
        }
      }
      if (url.pathname === '/_usage.json') {
        const report = usageReport(snapshot.usage, { thresholds: snapshot.quotaThresholds });
        const body = JSON.stringify(
          {
            ...report,
            computedAt: snapshot.computedAt,
            logRecords: snapshot.logRecords,
            ...(snapshot.registry !== undefined ? { registry: snapshot.registry } : {}),
          },
          null,
          2,
        );
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(body + '\n');
        return;
      }
      if (url.pathname === '/_usage') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(renderUsagePage(snapshot, refreshSeconds, prices));
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('local platform pages: /_usage, /_usage.json\n');
    },
  };
}
