/** Which sinks an environment gets: the configured ones; none configured, none (CloudWatch is the run's own step). */
import type { SinksConfig } from '../../config/types';
import { runSinks, sinksFor } from './index';
import { MemoryLedgerStore } from './testing/memory-ledger-store';
import { sinkInput } from './testing/sink-input';

const context = { ledgers: new MemoryLedgerStore(), vars: {}, progress: () => undefined };

it('returns no sink for an environment without billing sinks', async () => {
  await expect(sinksFor({ name: 'prod' }, context)).resolves.toEqual([]);
  await expect(sinksFor({ name: 'prod', sinks: {} }, context)).resolves.toEqual([]);
});

it('runs a configured sink this version has no factory for as a failed sink that says so, not as a crash', async () => {
  const sinks = await sinksFor({ name: 'prod', sinks: { ledgerless: {} } as SinksConfig }, context);
  expect(sinks.map((s) => s.name)).toEqual(['ledgerless']);
  const [report] = await runSinks(sinks, sinkInput());
  expect(report).toMatchObject({ sink: 'ledgerless', outcome: 'failed', oldestUnreportedHour: '2026-11-20T05' });
  expect(report?.problems[0]?.message).toBe(
    'the sink stopped: not started: environment prod configures sink ledgerless, which this version of the usage job does not have',
  );
});
