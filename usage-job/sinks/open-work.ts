/**
 * Open work of earlier months (docs/sinks.md, "Earlier months"). The scheduled job runs a month
 * only until the 3rd of the next, so trouble left in a past month (Stripe events still pending, a
 * customer without a billing id, Marketplace units to bill by hand) would be forgotten and its
 * "behind" alarm would clear by itself. So every publishing run writes what its sinks reported
 * for its month into a status document beside the ledgers, and every run folds the sinks'
 * unresolved work of the two months before its own into its reports: the alarm, the problems and
 * UsageJobSinksPartial stay on until a later run of that month reports it done, or an operator
 * acknowledges it (`--acknowledge-open-work`) after resolving it by hand.
 *
 * The status is written by the run, not by the sinks: a sink's ledger knows what was sent, not
 * what was owed (a customer without a Stripe id has nothing in it), while its report knows both.
 */
import { addHours, monthBounds, type HourId } from '../../sql/hours';
import { LedgerConflictError, type SinkLedgerStore, type SinkProblem, type SinkReport } from './sink';

/** The status document's name in the ledger store (never a billing sink's name: config/sinks.ts BILLING_SINK_NAMES). */
export const SINK_STATUS_LEDGER = 'sink-status';
export const SINK_STATUS_FORMAT = 'sink-status/1';
/** Earlier months a run looks back at (the month before its own and the one before that). */
export const OPEN_WORK_MONTHS = 2;
/** Problems kept per sink in the status (the count is whole). */
const KEPT_PROBLEMS = 20;
const WRITE_ATTEMPTS = 3;

export interface SinkMonthStatus {
  readonly outcome: SinkReport['outcome'];
  readonly oldestUnreportedHour: HourId | null;
  readonly problemCount: number;
  readonly problems: readonly SinkProblem[];
  /** Set by a run with --acknowledge-open-work: an operator resolved what is left by hand. */
  readonly acknowledgedAt?: string;
}

export interface SinkStatusDocument {
  readonly format: typeof SINK_STATUS_FORMAT;
  readonly environment: string;
  readonly month: string;
  /** The time (--now) of the run that wrote it: an older run never overwrites a newer one's status. */
  readonly runAt: string;
  /** The month's status at that run: a month whose last run was `month-to-date` may have late figures no sink saw. */
  readonly monthStatus: 'final' | 'month-to-date';
  readonly sinks: Readonly<Record<string, SinkMonthStatus>>;
}

export interface OpenWork {
  readonly sink: string;
  readonly month: string;
  readonly status: SinkMonthStatus;
  /** unreported: its last run left work; never-final: no run saw the month final, late figures may be unreported. */
  readonly reason: 'unreported' | 'never-final';
}

interface StatusRun {
  readonly environment: string;
  readonly month: string;
  readonly now: Date;
  readonly monthStatus: 'final' | 'month-to-date';
  readonly acknowledge: boolean;
}

export function earlierMonths(month: string, count = OPEN_WORK_MONTHS): string[] {
  const months: string[] = [];
  let first = monthBounds(month).first;
  for (let i = 0; i < count; i++) {
    const previous = addHours(first, -1).slice(0, 7);
    months.push(previous);
    first = monthBounds(previous).first;
  }
  return months;
}

function checkStatus(body: unknown, location: string, environment: string, month: string): SinkStatusDocument {
  const doc = body as Partial<SinkStatusDocument> | null;
  if (doc === null || typeof doc !== 'object' || doc.format !== SINK_STATUS_FORMAT || typeof doc.sinks !== 'object' || typeof doc.runAt !== 'string')
    throw new Error(`${location} is not a sink status document (format ${SINK_STATUS_FORMAT})`);
  if (doc.environment !== environment || doc.month !== month)
    throw new Error(`${location} is the sink status of ${doc.environment} ${doc.month}, not of ${environment} ${month}`);
  return doc as SinkStatusDocument;
}

/** Writes the run's (unfolded) reports as its month's status; a newer run's status is kept. Returns false when kept. */
export async function recordSinkStatus(store: SinkLedgerStore, run: StatusRun, reports: readonly SinkReport[]): Promise<boolean> {
  const sinks: Record<string, SinkMonthStatus> = {};
  for (const r of reports) {
    sinks[r.sink] = {
      outcome: r.outcome,
      oldestUnreportedHour: r.oldestUnreportedHour,
      problemCount: r.problems.length,
      problems: r.problems.slice(0, KEPT_PROBLEMS),
      ...(run.acknowledge ? { acknowledgedAt: run.now.toISOString() } : {}),
    };
  }
  const body: SinkStatusDocument = {
    format: SINK_STATUS_FORMAT,
    environment: run.environment,
    month: run.month,
    runAt: run.now.toISOString(),
    monthStatus: run.monthStatus,
    sinks,
  };
  for (let attempt = 1; ; attempt++) {
    const stored = await store.read<unknown>(SINK_STATUS_LEDGER, run.month);
    if (stored !== undefined) {
      const current = checkStatus(stored.body, store.location(SINK_STATUS_LEDGER, run.month), run.environment, run.month);
      if (Date.parse(current.runAt) > run.now.getTime()) return false;
    }
    try {
      await store.write(SINK_STATUS_LEDGER, run.month, body, stored?.revision);
      return true;
    } catch (error) {
      if (!(error instanceof LedgerConflictError) || attempt >= WRITE_ATTEMPTS) throw error;
    }
  }
}

/**
 * Unresolved work of `sinks` in the months before `month`, unless acknowledged: not ok at the
 * month's last run, or that run was month-to-date and the month is final by now (`isFinal`).
 */
export async function openWorkBefore(
  store: SinkLedgerStore,
  environment: string,
  month: string,
  sinks: readonly string[],
  isFinal: (month: string) => boolean,
): Promise<OpenWork[]> {
  const open: OpenWork[] = [];
  for (const earlier of earlierMonths(month)) {
    const stored = await store.read<unknown>(SINK_STATUS_LEDGER, earlier);
    if (stored === undefined) continue;
    const doc = checkStatus(stored.body, store.location(SINK_STATUS_LEDGER, earlier), environment, earlier);
    for (const sink of sinks) {
      const status = doc.sinks[sink];
      if (status === undefined || status.acknowledgedAt !== undefined) continue;
      if (status.outcome !== 'ok') open.push({ sink, month: earlier, status, reason: 'unreported' });
      else if (doc.monthStatus !== 'final' && isFinal(earlier)) open.push({ sink, month: earlier, status, reason: 'never-final' });
    }
  }
  return open;
}

/** The hour an earlier month's open work counts as behind since: its oldest unreported hour, else (problems only) its last hour. */
export function openSince(work: OpenWork): HourId {
  return work.status.oldestUnreportedHour ?? addHours(monthBounds(work.month).next, -1);
}

export function openWorkProblem(work: OpenWork): SinkProblem {
  const { status } = work;
  if (work.reason === 'never-final')
    return {
      message: `${work.month} is still open for sink ${work.sink}: no run of it since its late window closed, so late figures may be unreported; run the usage job for ${work.month} (docs/sinks.md)`,
    };
  const first = status.problems[0]?.message;
  return {
    message:
      `${work.month} is still open for sink ${work.sink}: its last run reported ${status.outcome}` +
      `${status.oldestUnreportedHour !== null ? `, behind since ${status.oldestUnreportedHour}` : ''}, ${status.problemCount} problem${status.problemCount === 1 ? '' : 's'}` +
      `${first !== undefined ? ` (first: ${first})` : ''}; fix the cause and run the usage job for ${work.month} again, or after resolving it by hand run it with --acknowledge-open-work (docs/sinks.md)`,
  };
}

/** Each report with its sink's open work of earlier months: older behind hour, one problem per month, outcome at least partial. */
export function foldOpenWork(reports: readonly SinkReport[], open: readonly OpenWork[]): SinkReport[] {
  return reports.map((report) => {
    const mine = open.filter((w) => w.sink === report.sink);
    if (mine.length === 0) return report;
    const oldest = mine.map(openSince).reduce((a, b) => (b < a ? b : a), report.oldestUnreportedHour ?? mine.map(openSince)[0]!);
    return {
      ...report,
      outcome: report.outcome === 'ok' ? 'partial' : report.outcome,
      problems: [...report.problems, ...mine.map(openWorkProblem)],
      oldestUnreportedHour: oldest,
    };
  });
}

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0]!;

/** Adds a run-level problem to every report (the status could not be read or written): partial, never a failed run. */
function withProblem(reports: readonly SinkReport[], message: string): SinkReport[] {
  return reports.map((r) => ({ ...r, outcome: r.outcome === 'ok' ? 'partial' : r.outcome, problems: [...r.problems, { message }] }));
}

/**
 * After the sinks ran: records the run's status for its month (not in a dry run), then folds in
 * the open work of earlier months. Never rejects: trouble with the status becomes a problem.
 */
export async function withOpenWork(
  store: SinkLedgerStore,
  run: StatusRun & { readonly dryRun: boolean; readonly isFinal: (month: string) => boolean },
  reports: readonly SinkReport[],
  progress: (message: string) => void,
): Promise<SinkReport[]> {
  let result = [...reports];
  if (!run.dryRun) {
    try {
      const written = await recordSinkStatus(store, run, reports);
      if (!written) progress(`sink status of ${run.month}: a later run's status is kept (${store.location(SINK_STATUS_LEDGER, run.month)})`);
      else if (run.acknowledge) progress(`sink status of ${run.month}: what is left is acknowledged as resolved by hand`);
    } catch (error) {
      result = withProblem(result, `could not record the sinks' status of ${run.month}: ${firstLine(error)}; later runs cannot see its open work`);
    }
  }
  try {
    const open = await openWorkBefore(
      store,
      run.environment,
      run.month,
      reports.map((r) => r.sink),
      run.isFinal,
    );
    for (const work of open) progress(`sink ${work.sink}: ${openWorkProblem(work).message}`);
    return foldOpenWork(result, open);
  } catch (error) {
    return withProblem(result, `could not read the sinks' status of earlier months: ${firstLine(error)}`);
  }
}
