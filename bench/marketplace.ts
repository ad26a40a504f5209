/**
 * Marketplace sink benchmark:
 * `npx tsx bench/marketplace.ts [--customers 1000] [--days 30] [--late 0.03] [--id-chars 36] [--shards 64]`.
 *
 * Every customer has usage in every hour; a run at HH:10 each hour hands the sink the month's
 * figures so far, of which a share (`--late`) of each hour's requests arrives 20 hours late
 * (restating hours already exported). The fake Marketplace (published rules, no network) answers,
 * its MeteringRecordIds replaced by random ones of `--id-chars` characters (AWS documents the id as
 * a String of no stated length; 36 is a UUID's). Prints records sent, calls, wall and CPU time of
 * all runs and of the last run (the machine may be shared: CPU time is the steadier figure), the
 * ledger's size at the end and per record, the bytes written by the last run and by all runs
 * (what would be PUT to S3), and the process's peak RSS.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { addHours } from '../sql/hours';
import type { CustomerHourFigures } from '../usage-job/sinks/sink';
import { createMarketplaceSink } from '../usage-job/sinks/marketplace';
import type { MeteringApi } from '../usage-job/sinks/marketplace/metering-api';
import { FakeMarketplace } from '../usage-job/sinks/marketplace/testing/fake-marketplace';
import { MemoryLedgerStore } from '../usage-job/sinks/testing/memory-ledger-store';
import { decodeLedger, readMarketplaceLedger } from '../usage-job/sinks/marketplace/ledger';
import { CONFIG, account, licensed, license, runInput } from '../usage-job/sinks/marketplace/testing/scenario';

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '1000' },
    days: { type: 'string', default: '30' },
    late: { type: 'string', default: '0.03' },
    'id-chars': { type: 'string', default: '36' },
  },
});
const number = (name: keyof typeof values, min: number): number => {
  const n = Number(values[name]);
  if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number of at least ${min}, got ${String(values[name])}`);
  return n;
};
const customersN = number('customers', 1);
const hoursN = Math.round(number('days', 1 / 24) * 24);
const lateShare = number('late', 0);
const idChars = number('id-chars', 0);
const FIRST = '2026-11-01T00';
const HOUR_MS = 3_600_000;
const start = Date.parse(`${FIRST}:00:00Z`);

const customers = Array.from({ length: customersN }, (_, i) => licensed(`c${i}`, i));
const fake = new FakeMarketplace({ now: new Date(start) });
for (let i = 0; i < customersN; i++) fake.subscribeLicense(account(i), license(i));
const api: MeteringApi = {
  batchMeterUsage: async (request) => {
    const result = await fake.batchMeterUsage(request);
    for (const r of result.Results ?? [])
      if (r.MeteringRecordId !== undefined) r.MeteringRecordId = randomBytes(idChars).toString('base64url').slice(0, idChars);
    return result;
  },
};
const ledger = new MemoryLedgerStore();
const sink = createMarketplaceSink({ config: CONFIG, ledger, api, sleep: async () => {} });

const requestsOf = (c: number, h: number) => 100 + ((c * 7 + h * 13) % 900);
const bytesOf = (c: number, h: number) => 40_000_000 * (1 + ((c + h) % 5));

async function main(): Promise<void> {
  const figures: CustomerHourFigures[] = [];
  let total = 0;
  let last = 0;
  let totalCpu = 0;
  let lastCpu = 0;
  let sent = 0;
  const runBytes: number[] = [];
  for (let run = 1; run <= hoursN + 6; run++) {
    const now = start + run * HOUR_MS + 10 * 60_000;
    // Hour run-1 arrives on time, less its late share; hour run-21's late share arrives now.
    const h = run - 1;
    if (h < hoursN) {
      for (let c = 0; c < customersN; c++)
        figures.push({ customerId: `c${c}`, hour: addHours(FIRST, h), requests: Math.floor(requestsOf(c, h) * (1 - lateShare)), bytesOut: bytesOf(c, h) });
    }
    const restated = run - 21;
    if (restated >= 0 && restated < hoursN) {
      for (let c = 0; c < customersN; c++) {
        const i = restated * customersN + c;
        const f = figures[i] as CustomerHourFigures;
        figures[i] = { ...f, requests: requestsOf(c, restated) };
      }
    }
    fake.now = new Date(now);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const bytesBefore = ledger.bytesWritten;
    const report = await sink.export(runInput(new Date(now), figures, customers));
    const wall = performance.now() - t0;
    runBytes.push(ledger.bytesWritten - bytesBefore);
    const cpu = process.cpuUsage(c0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    totalCpu += cpuMs;
    total += wall;
    if (run === hoursN + 1) [last, lastCpu] = [wall, cpuMs];
    sent += report.sent;
    if (report.problems.length > 0) throw new Error(`run ${run}: ${report.problems[0]?.message}`);
  }
  const bytes = ledger.sizeBytes('marketplace', '2026-11');
  let sealedBytes = 0;
  for (const location of ledger.locations().filter((l) => l.includes('/sealed-'))) {
    const part = location.slice(location.lastIndexOf('/') + 1, -'.json'.length);
    sealedBytes += Buffer.byteLength(JSON.stringify((await ledger.read('marketplace', '2026-11', part))?.body), 'utf8');
  }
  // The heap a run's ledger takes once read and decoded (what the sink holds besides the month's figures).
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const decoded = decodeLedger(await readMarketplaceLedger(ledger, 'marketplace', 'dev', '2026-11'), '2026-11');
  gc();
  const decodedHeap = process.memoryUsage().heapUsed - heapBefore;
  if (Object.keys(decoded.entries).length !== 2 * customersN) throw new Error('the decoded ledger lacks customers');
  // The runs of the last usage day (run r sends hour r - 3 and earlier): steady state at that point of the month.
  const lastDay = runBytes.slice(Math.max(0, hoursN - 24), hoursN);
  // What the figures hold at the end (late shares of the last 20 hours never arrived in this run).
  const expected = figures.reduce((sum, f) => sum + f.requests, 0);
  const got = [...fake.totals().entries()].filter(([k]) => k.endsWith(' requests')).reduce((s, [, v]) => s + v, 0);
  console.log(
    JSON.stringify(
      {
        customers: customersN,
        hours: hoursN,
        runs: hoursN + 6,
        meteringRecordIdChars: idChars,
        recordsSent: sent,
        calls: fake.calls.length,
        recordsAccepted: fake.accepted.size,
        requestsExpected: expected,
        requestsAccepted: got,
        wallSecondsAllRuns: Number((total / 1000).toFixed(1)),
        wallSecondsLastUsageRun: Number((last / 1000).toFixed(2)),
        cpuSecondsAllRuns: Number((totalCpu / 1000).toFixed(1)),
        cpuSecondsLastUsageRun: Number((lastCpu / 1000).toFixed(2)),
        ledgerBytes: bytes,
        ledgerBytesPerRecord: Number((bytes / fake.accepted.size).toFixed(1)),
        ledgerShardBytes: bytes - sealedBytes,
        ledgerSealedBytes: sealedBytes,
        ledgerDocuments: ledger.locations().length,
        bytesWrittenPerRunMax: Math.max(...runBytes),
        bytesWrittenPerRunMeanLastDay: Math.round(lastDay.reduce((a, b) => a + b, 0) / Math.max(1, lastDay.length)),
        bytesWrittenLastUsageRun: runBytes[hoursN] ?? 0,
        bytesWrittenAllRuns: ledger.bytesWritten,
        decodedLedgerHeapMiB: Math.round(decodedHeap / 1024 / 1024),
        peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
        node: process.version,
      },
      null,
      1,
    ),
  );
}

void main();
