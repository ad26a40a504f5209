/**
 * Runs every configured billing sink on one usage run's figures (docs/sinks.md). Each sink runs
 * whatever another does: a sink that throws, or reports partial or failed, never stops the others,
 * nor the CloudWatch step after them (publish-run.ts), which publishes how far behind each sink is.
 * The sinks run concurrently: each has its own service and limits, so a slow one (Stripe answering
 * 429 for minutes) does not hold back another's deadline (Marketplace takes an hour only within 6
 * hours of it).
 */
import { floorToHour, hourStart, type HourId } from '../../sql/hours';
import type { SinkReport, SinkRunInput, UsageSink } from './sink';

/** Problems printed on stderr per sink; the JSON report holds all of them. */
const PROBLEM_LINES = 20;
const OUTCOMES: readonly SinkReport['outcome'][] = ['ok', 'partial', 'failed'];

/** A sink that threw: nothing it was given counts as reported, so it is behind since the month's first hour with usage. */
function failedReport(sink: string, input: SinkRunInput, error: unknown): SinkReport {
  const message = error instanceof Error ? error.message : String(error);
  return {
    sink,
    outcome: 'failed',
    sent: 0,
    unchanged: 0,
    problems: [{ message: `the sink stopped: ${message.split('\n')[0]}` }],
    oldestUnreportedHour: input.hours.reduce<HourId | null>((oldest, h) => (oldest === null || h.hour < oldest ? h.hour : oldest), null),
  };
}

/** A report the run can rely on: the sink's own name, a known outcome, whole counts. */
function checkedReport(sink: string, report: SinkReport, input: SinkRunInput): SinkReport {
  const wellFormed =
    typeof report === 'object' &&
    report !== null &&
    OUTCOMES.includes(report.outcome) &&
    Number.isSafeInteger(report.sent) &&
    Number.isSafeInteger(report.unchanged) &&
    Array.isArray(report.problems);
  if (!wellFormed) return failedReport(sink, input, new Error(`sink ${sink} returned a malformed report: ${JSON.stringify(report)}`));
  return { ...report, sink };
}

export function summaryLine(report: SinkReport): string {
  return (
    `${report.outcome}, sent ${report.sent}, unchanged ${report.unchanged}, ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}` +
    (report.oldestUnreportedHour !== null ? `, behind since ${report.oldestUnreportedHour}` : '')
  );
}

/** Runs every sink; resolves with one report per sink, in the order given, never rejects. */
export async function runSinks(sinks: readonly UsageSink[], input: SinkRunInput): Promise<SinkReport[]> {
  const names = sinks.map((s) => s.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new Error(`two sinks are named ${twice}; each sink needs its own name (its ledger and metric dimension)`);
  return Promise.all(
    sinks.map(async (sink) => {
      const progress = (message: string) => input.progress?.(`sink ${sink.name}: ${message}`);
      progress(input.dryRun ? 'dry run: computing what would be sent' : 'exporting');
      let report: SinkReport;
      try {
        report = checkedReport(sink.name, await sink.export({ ...input, progress }), input);
      } catch (error) {
        report = failedReport(sink.name, input, error);
      }
      progress(summaryLine(report));
      for (const problem of report.problems.slice(0, PROBLEM_LINES)) {
        progress(
          `problem${problem.customerId !== undefined ? ` (customer ${problem.customerId}${problem.hour !== undefined ? `, hour ${problem.hour}` : ''})` : ''}: ${problem.message}`,
        );
      }
      if (report.problems.length > PROBLEM_LINES)
        progress(`and ${report.problems.length - PROBLEM_LINES} more problems (all of them in the report's sinks[].problems)`);
      return report;
    }),
  );
}

/** Whole hours from the sink's oldest unreported hour to the run's hour; 0 when nothing is unreported. */
export function hoursBehind(report: Pick<SinkReport, 'oldestUnreportedHour'>, now: Date): number {
  if (report.oldestUnreportedHour === null) return 0;
  return Math.max(0, Math.round((floorToHour(now).getTime() - hourStart(report.oldestUnreportedHour).getTime()) / 3_600_000));
}

/** ok when every sink reported ok (or none is configured), else partial. */
export function sinksOutcome(reports: readonly SinkReport[]): 'ok' | 'partial' {
  return reports.every((r) => r.outcome === 'ok') ? 'ok' : 'partial';
}
