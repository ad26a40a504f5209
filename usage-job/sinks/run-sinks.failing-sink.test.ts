/** A sink that throws, or reports failed or partial, never keeps another sink from running. */
import { runSinks } from './run-sinks';
import { FixedReportSink, RecordingSink, ThrowingSink } from './testing/fake-sinks';
import { sinkInput } from './testing/sink-input';

it('runs every sink when one throws and another reports failed, and reports each in the order given', async () => {
  const before = new RecordingSink('before');
  const after = new RecordingSink('after');
  const lines: string[] = [];
  const reports = await runSinks(
    [
      before,
      new ThrowingSink('down'),
      new FixedReportSink('refused', {
        outcome: 'failed',
        sent: 0,
        unchanged: 0,
        problems: [{ message: 'HTTP 401 from the API' }],
        oldestUnreportedHour: '2026-11-20T05',
      }),
      after,
    ],
    sinkInput({ progress: (m) => lines.push(m) }),
  );
  expect(reports.map((r) => [r.sink, r.outcome])).toEqual([
    ['before', 'ok'],
    ['down', 'failed'],
    ['refused', 'failed'],
    ['after', 'ok'],
  ]);
  // Both healthy sinks got the whole month's figures and sent them.
  expect(before.inputs[0]?.hours).toHaveLength(3);
  expect(after.inputs[0]?.hours).toHaveLength(3);
  expect(reports[3]).toMatchObject({ sent: 3, problems: [] });
  // The sink that threw: nothing counts as reported, so it is behind since the month's first hour with usage.
  expect(reports[1]).toEqual({
    sink: 'down',
    outcome: 'failed',
    sent: 0,
    unchanged: 0,
    problems: [{ message: 'the sink stopped: connect ECONNREFUSED 127.0.0.1:12111' }],
    oldestUnreportedHour: '2026-11-20T05',
  });
  expect(lines).toContain('sink down: failed, sent 0, unchanged 0, 1 problem, behind since 2026-11-20T05');
  expect(lines).toContain('sink down: problem: the sink stopped: connect ECONNREFUSED 127.0.0.1:12111');
  expect(lines).toContain('sink after: ok, sent 3, unchanged 0, 0 problems');
});

it('turns a malformed report into a failed one that names the sink', async () => {
  const malformed = { name: 'odd', export: async () => ({ sink: 'odd', outcome: 'fine' }) as never };
  const [report] = await runSinks([malformed], sinkInput());
  expect(report).toMatchObject({ sink: 'odd', outcome: 'failed', sent: 0 });
  expect(report?.problems[0]?.message).toMatch(/^the sink stopped: sink odd returned a malformed report/);
});

it('refuses two sinks of one name before running either (they would share a ledger)', async () => {
  const a = new RecordingSink('same');
  await expect(runSinks([a, new RecordingSink('same')], sinkInput())).rejects.toThrow('two sinks are named same');
  expect(a.inputs).toHaveLength(0);
});
