/**
 * Property: for arbitrary generated logs, the real usage SQL on DuckDB agrees with a
 * straightforward model of the billing semantics (docs/contracts.md), and the classes add up.
 * The model attributes a record only by its viewer_request_log_data and ignores the query string,
 * which is generated to name any key in any spelling: so no query string, however crafted, moves a
 * request from one key to another or from unattributed to a key.
 *   per key, billable + rejected + errors = that key's deduplicated records with a 2xx-5xx status,
 *   (the rest of its records, e.g. status 000 when the viewer hung up, are in none of the three);
 *   sum over keys of all their records + unattributed = every deduplicated record.
 * GET /usage lookups (and near misses of the route that are not lookups) are generated too: a
 * lookup is in none of the three classes, whatever its status; a near miss counts as usual.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiKeyFingerprint } from '../contracts/api-key';
import { oneKeyCustomer } from './customers';
import { DuckDbUsageEngine } from './local/duckdb-engine';
import { monthUsage } from './month-usage';
import { logRecord } from '../sql/testing/log-fixtures';
import type { LogRecord } from '../sql/log-writer';
import { writeLogFile } from '../sql/log-writer';

const RUNS = 100;
const ACCOUNT = '000000000000';
const DIST = 'E2PROPERTY';
const MONTH = '2026-11';
const HOURS = [new Date('2026-11-30T22:00:00Z'), new Date('2026-11-30T23:00:00Z')];

const KEYS = ['alpha', 'beta', 'gamma'].map((id) => {
  const fingerprint = apiKeyFingerprint(`${id}-key-value-0123456789abcdef`);
  return { ...oneKeyCustomer(id, id, fingerprint, 1000), fingerprint };
});
const UNKNOWN_FP = apiKeyFingerprint('unknown-key-value-0123456789');

/**
 * What the edge function logged for a generated record (viewer_request_log_data) and what the
 * viewer typed in the query string. Only `logged: key` may attribute; the query is crafted to name
 * any key, in any spelling, and must never move a request.
 */
type Logged = { kind: 'key'; index: number } | { kind: 'unknown' } | { kind: 'none' } | { kind: 'near'; index: number; variant: number };

const loggedArb: fc.Arbitrary<Logged> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: KEYS.length - 1 }).map((index): Logged => ({ kind: 'key', index })) },
  { weight: 1, arbitrary: fc.constant<Logged>({ kind: 'unknown' }) },
  { weight: 2, arbitrary: fc.constant<Logged>({ kind: 'none' }) },
  {
    weight: 1,
    arbitrary: fc
      .record({ index: fc.integer({ min: 0, max: KEYS.length - 1 }), variant: fc.integer({ min: 0, max: 6 }) })
      .map((v): Logged => ({ kind: 'near', ...v })),
  },
);

/** Values that resemble a key's fingerprint without being it exactly. */
function nearMiss(fp: string, variant: number): string {
  return [fp.toUpperCase(), `${fp}0`, fp.slice(1), ` ${fp}`, `apikey_fp=${fp}`, `${fp}%0A`, `${fp}\n`][variant];
}

const fpNameArb = fc.constantFrom('apikey_fp', 'APIKEY_FP', 'apikey%5Ffp', 'xapikey_fp', 'apikey_fp_x');
const queryPartArb = fc.oneof(
  fc.constantFrom('page=2', 'q=a%26b', 'x=apikey_fp%3D1', 'sort=asc&limit=10', ''),
  fc.tuple(fpNameArb, fc.integer({ min: 0, max: KEYS.length - 1 })).map(([name, i]) => `${name}=${KEYS[i].fingerprint}`),
  fc.constant(`apikey_fp=${UNKNOWN_FP}`),
);
const queryArb = fc.array(queryPartArb, { maxLength: 4 }).map((parts) => parts.filter((p) => p !== '').join('&') || '-');

const statusArb = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 200, max: 599 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('000', '101', '-') },
);

const recordArb = fc.record({
  logged: loggedArb,
  query: queryArb,
  status: statusArb,
  bytesOut: fc.integer({ min: 0, max: 1_000_000 }),
  hour: fc.integer({ min: 0, max: HOURS.length - 1 }),
  second: fc.integer({ min: 0, max: 3599 }),
  /** Re-delivered in a second file of the same hour (counts once). */
  duplicated: fc.boolean(),
  /** Method and path: the lookup route GET /usage, near misses of it, or an API call. */
  request: fc.oneof(
    { weight: 4, arbitrary: fc.constant({ method: 'GET', path: '/v1/data' }) },
    { weight: 2, arbitrary: fc.constant({ method: 'GET', path: '/usage' }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        ...['POST /usage', 'GET /usage/', 'GET /Usage', 'HEAD /usage', 'GET /usage.json'].map((r) => ({ method: r.split(' ')[0], path: r.split(' ')[1] })),
      ),
    },
  ),
});
type GeneratedRecord = typeof recordArb extends fc.Arbitrary<infer T> ? T : never;

function logDataOf(r: GeneratedRecord): string {
  switch (r.logged.kind) {
    case 'key':
      return KEYS[r.logged.index].fingerprint;
    case 'unknown':
      return UNKNOWN_FP;
    case 'near':
      return nearMiss(KEYS[r.logged.index].fingerprint, r.logged.variant);
    case 'none':
      return '-';
    default:
      throw new Error('unreachable logged kind');
  }
}

const classOf = (status: string): 'requests' | 'rejected' | 'errors' | 'other' => {
  const n = /^\d{3}$/.test(status) ? Number(status) : 0;
  if (n >= 200 && n <= 399) return 'requests';
  if (n >= 400 && n <= 499) return 'rejected';
  if (n >= 500 && n <= 599) return 'errors';
  return 'other';
};

test(`usage SQL on DuckDB matches the billing model for arbitrary logs and crafted query strings (${RUNS} runs)`, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(recordArb, { minLength: 1, maxLength: 60 }), async (generated) => {
      const root = mkdtempSync(join(tmpdir(), 'usage-property-'));
      const engine = new DuckDbUsageEngine(root);
      try {
        const files = HOURS.map(() => ({ first: [] as LogRecord[], redelivered: [] as LogRecord[] }));
        const model = new Map<string, { requests: number; rejected: number; errors: number; other: number; bytesOut: number }>();
        for (const k of KEYS) model.set(k.id, { requests: 0, rejected: 0, errors: 0, other: 0, bytesOut: 0 });
        let unattributed = 0;

        for (const r of generated) {
          const hour = HOURS[r.hour];
          const at = new Date(hour.getTime() + r.second * 1000).toISOString();
          const record = logRecord({ at, status: r.status, query: r.query, logData: logDataOf(r), bytesOut: r.bytesOut, ...r.request });
          files[r.hour].first.push(record);
          if (r.duplicated) files[r.hour].redelivered.push(record);
          if (r.logged.kind === 'key') {
            const sums = model.get(KEYS[r.logged.index].id)!;
            const lookup = r.request.method === 'GET' && r.request.path === '/usage';
            const cls = lookup ? 'other' : classOf(r.status);
            sums[cls] += 1;
            if (cls === 'requests') sums.bytesOut += r.bytesOut;
          } else {
            unattributed += 1;
          }
        }
        for (const [i, f] of files.entries()) {
          if (f.first.length) await writeLogFile(root, ACCOUNT, DIST, HOURS[i], f.first, { fileName: 'first.parquet' });
          if (f.redelivered.length) await writeLogFile(root, ACCOUNT, DIST, HOURS[i], f.redelivered, { fileName: 'again.parquet' });
        }

        const { rows } = await engine.queryHours(['2026-11-30T22', '2026-11-30T23']);
        const usage = monthUsage(MONTH, rows, KEYS);

        let attributedTotal = 0;
        for (const key of usage.keys) {
          const m = model.get(key.id)!;
          expect({ id: key.id, requests: key.requests, rejected: key.rejected, errors: key.errors, bytesOut: key.bytesOut }).toEqual({
            id: key.id,
            requests: m.requests,
            rejected: m.rejected,
            errors: m.errors,
            bytesOut: m.bytesOut,
          });
          // The classes partition the key's records with a final 2xx-5xx status.
          expect(key.requests + key.rejected + key.errors).toBe(m.requests + m.rejected + m.errors);
          attributedTotal += m.requests + m.rejected + m.errors + m.other;
        }
        expect(usage.unattributed.requests).toBe(unattributed);
        expect(attributedTotal + usage.unattributed.requests).toBe(generated.length);
        expect(usage.totalRequests).toBe(generated.length);
      } finally {
        await engine.close();
        rmSync(root, { recursive: true, force: true });
      }
    }),
    { numRuns: RUNS, seed: 20261128 },
  );
}, 240_000);
