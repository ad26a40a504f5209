/**
 * Through the usage CLI: a sink left partial in October by its last run (the 3rd of November)
 * keeps November's publishing runs partial, with SinkHoursBehind counted from October's hour,
 * until a run of October reports it done (in process, DuckDB, fake sinks and publisher).
 */
import type { SinkReport } from './sinks/sink';
import { FixedReportSink } from './sinks/testing/fake-sinks';
import { cliWorkspace, recordingPublishing, runCliInProcess, type CliWorkspace } from './testing/cli-workspace';
import type { PublishRequest } from './usage-publisher';

const OK: Omit<SinkReport, 'sink'> = { outcome: 'ok', sent: 0, unchanged: 0, problems: [], oldestUnreportedHour: null };
const PENDING: Omit<SinkReport, 'sink'> = {
  outcome: 'partial',
  sent: 0,
  unchanged: 0,
  problems: [{ message: '2 meter events stay pending' }],
  oldestUnreportedHour: '2026-10-31T20',
};
let ws: CliWorkspace;
const published: PublishRequest[] = [];

beforeAll(() => {
  ws = cliWorkspace('usage-cli-open-work-', [{ id: 'acme', name: 'Acme', value: 'acme-live-key-0123456789abcdef', plan: 'basic' }]);
});
afterAll(() => ws.remove());

async function runCli(month: string, now: string, report: Omit<SinkReport, 'sink'>): Promise<SinkReport[]> {
  const { code, out, err } = await runCliInProcess([...ws.duckdbArgs(month), '--now', now], {
    sinksFor: async () => [new FixedReportSink('stripe', report)],
    publishing: recordingPublishing(published, 'no notice is due'),
  });
  if (code !== 0) throw new Error(`usage CLI exited ${code}: ${err}`);
  return (JSON.parse(out) as { sinks: SinkReport[] }).sinks;
}

test('October left partial keeps November partial and behind until a run of October reports ok', async () => {
  await runCli('2026-10', '2026-11-03T23:10:00Z', PENDING);
  const [november] = await runCli('2026-11', '2026-11-10T12:10:00Z', OK);
  expect(november).toMatchObject({ outcome: 'partial', oldestUnreportedHour: '2026-10-31T20' });
  expect(november!.problems[0]!.message).toMatch(/^2026-10 is still open for sink stripe/);
  expect(published.at(-1)?.sinks).toEqual([{ name: 'stripe', outcome: 'partial', hoursBehind: 9 * 24 + 16, problems: 1 }]);

  await runCli('2026-10', '2026-11-10T13:00:00Z', OK);
  const [after] = await runCli('2026-11', '2026-11-10T13:10:00Z', OK);
  expect(after).toEqual({ sink: 'stripe', ...OK });
  expect(published.at(-1)?.sinks).toEqual([{ name: 'stripe', outcome: 'ok', hoursBehind: 0, problems: 0 }]);
});
