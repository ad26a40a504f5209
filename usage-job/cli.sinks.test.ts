/**
 * The usage CLI runs the environment's billing sinks on the month's per-customer hourly figures:
 * a dry run hands them dryRun, a failing sink leaves the others and the run, and every sink's
 * report is in the JSON (in process, DuckDB on generated logs; the sinks are fakes).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiKeyFingerprint } from '../contracts/api-key';
import { writeLogFile } from '../sql/log-writer';
import { logRecord } from '../sql/testing/log-fixtures';
import type { SinkContext } from './sinks/index';
import { FixedReportSink, RecordingSink, ThrowingSink } from './sinks/testing/fake-sinks';
import { cliWorkspace, runCliInProcess, type CliWorkspace } from './testing/cli-workspace';

const VALUE_A = 'acme-live-key-0123456789abcdef';
let ws: CliWorkspace;

beforeAll(async () => {
  ws = cliWorkspace('usage-cli-sinks-', [
    { id: 'acme', name: 'Acme Corp', value: VALUE_A, plan: 'basic' },
    { id: 'initech', name: 'Initech', value: 'initech-key-aaaaaaaaaaaaaaaa', plan: 'basic' },
  ]);
  const fp = apiKeyFingerprint(VALUE_A);
  await writeLogFile(ws.logs, '000000000000', 'E5TESTDIST', new Date('2026-11-02T10:00:00Z'), [
    logRecord({ at: '2026-11-02T10:01:00Z', logData: fp, bytesOut: 700 }),
    logRecord({ at: '2026-11-02T10:02:00Z', logData: fp, bytesOut: 300 }),
    logRecord({ at: '2026-11-02T10:03:00Z', logData: fp, status: 500 }),
  ]);
});
afterAll(() => ws.remove());

it('hands every sink the hourly figures with dryRun set, runs them all when one throws, and reports each in the JSON', async () => {
  const recording = new RecordingSink('recording');
  let context: SinkContext | undefined;
  const { code, out, err } = await runCliInProcess([...ws.duckdbArgs('2026-11'), '--now', '2026-11-02T12:30:00Z', '--dry-run'], {
    sinksFor: async (_env, given) => {
      context = given;
      return [new ThrowingSink('down'), recording];
    },
  });
  expect(code).toBe(0);
  const input = recording.inputs[0]!;
  expect(input).toMatchObject({ environment: 'local', month: '2026-11', monthStatus: 'month-to-date', dryRun: true });
  expect(input.hours).toEqual([{ customerId: 'acme', hour: '2026-11-02T10', requests: 2, bytesOut: 1000 }]);
  expect(input.customers.map((c) => c.id)).toEqual(['acme', 'initech']);
  expect(context?.ledgers.location('recording', '2026-11')).toBe(join(ws.dir, 'state', 'sinks', 'local', 'recording', '2026-11.json'));

  const report = JSON.parse(out) as { sinks: unknown[]; run: { sinks: string } };
  expect(report.sinks).toEqual([
    {
      sink: 'down',
      outcome: 'failed',
      sent: 0,
      unchanged: 0,
      problems: [{ message: 'the sink stopped: connect ECONNREFUSED 127.0.0.1:12111' }],
      oldestUnreportedHour: '2026-11-02T10',
    },
    { sink: 'recording', outcome: 'ok', sent: 0, unchanged: 0, problems: [], oldestUnreportedHour: null },
  ]);
  expect(report.run.sinks).toBe('partial');
  expect(err).toContain('usage: sink down: failed, sent 0, unchanged 0, 1 problem, behind since 2026-11-02T10\n');
  expect(err).toContain('usage: sink recording: dry run: computing what would be sent\n');
  expect(err).toContain('usage: billing sinks partial: down failed');
});

it('writes the corrections a sink carried into the month on the invoice line of that customer', async () => {
  const invoice = join(ws.dir, 'invoice-carried.csv');
  const sink = new FixedReportSink('stripe', {
    outcome: 'ok',
    sent: 0,
    unchanged: 1,
    problems: [],
    oldestUnreportedHour: null,
    carried: [
      { customerId: 'acme', fromMonth: '2026-10', meter: 'requests', quantity: 120 },
      { customerId: 'acme', fromMonth: '2026-10', meter: 'bytesOut', quantity: 5000 },
    ],
  });
  const { code } = await runCliInProcess([...ws.duckdbArgs('2026-11', 'state-carried'), '--now', '2026-11-02T12:30:00Z', '--dry-run', '--invoice', invoice], {
    sinksFor: async () => [sink],
  });
  expect(code).toBe(0);
  const rows = readFileSync(invoice, 'utf8').split('\r\n');
  expect(rows[0].endsWith(',carriedCorrections')).toBe(true);
  expect(rows.find((r) => r.includes(',acme,'))?.endsWith(',requests +120 from 2026-10; bytesOut +5000 from 2026-10')).toBe(true);
  expect(rows.find((r) => r.includes(',initech,'))?.endsWith(',')).toBe(true);
});
