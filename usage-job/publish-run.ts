/**
 * What a run that publishes does after computing the month's figures (the CLI's last step; the
 * fault tests call it too): refuse the whole run if the publisher would refuse the month (nothing
 * sent), send the quota notices the ledger does not hold, then put the metrics,
 * the heartbeat last (with UsageJobSinksPartial, and each billing sink's SinkHoursBehind and
 * SinkProblems among the gauges: the billing sinks run before this step, runSinks). A notice not sent fails the run after the gauges are out: no heartbeat, exit
 * non-zero, and the next run sends it (docs/monitoring.md "Notices").
 */
import type { EnvironmentConfig } from '../config/types';
import { floorToHour } from '../sql/hours';
import { deliverNotices, dueNotices, NoticeDeliveryError, type NoticeLedger, type NoticeRunResult, type NoticeSender } from './quota-notices';
import type { MonthUsage } from './month-figures';
import { hoursBehind } from './sinks/run-sinks';
import type { SinkReport } from './sinks/sink';
import type { PublishResult, SinkStatus, UsagePublisher } from './usage-publisher';

export interface Publishing {
  readonly publisher: UsagePublisher;
  readonly noticeSender: NoticeSender;
  readonly noticeLedger: NoticeLedger;
}

export interface PublishedRun extends PublishResult {
  readonly notices: NoticeRunResult;
}

export class PublishRunError extends Error {
  constructor(
    message: string,
    readonly notices: NoticeRunResult | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'PublishRunError';
  }
}

export function sinkStatus(report: SinkReport, now: Date): SinkStatus {
  return { name: report.sink, outcome: report.outcome, hoursBehind: hoursBehind(report, now), problems: report.problems.length };
}

export async function publishRun(options: {
  readonly usage: MonthUsage;
  readonly env: Pick<EnvironmentConfig, 'name' | 'alarms' | 'monitoring'>;
  /** The run's time: gauges go to its hour, notices say it. */
  readonly now: Date;
  readonly publishing: Publishing;
  /** The billing sinks' reports of this run (runSinks): how far behind each is goes to CloudWatch. */
  readonly sinkReports?: readonly SinkReport[];
  readonly progress?: (message: string) => void;
}): Promise<PublishedRun> {
  const { usage, env, now, publishing } = options;
  const thresholds = env.alarms.quotaPercentThresholds;
  // A run the publisher would refuse (a month closed more than two weeks ago) sends no notice.
  const refused = publishing.publisher.refusal?.({ usage, timestamp: floorToHour(now) });
  if (refused !== undefined) throw new PublishRunError(`${refused} (no quota notice was sent)`, undefined);
  let notices: NoticeRunResult | undefined;
  let noticeFailure: string | undefined;
  try {
    notices = await deliverNotices({
      month: usage.month,
      due: dueNotices(env.name, usage, thresholds, now),
      ledger: publishing.noticeLedger,
      sender: publishing.noticeSender,
      now: () => new Date(),
      ...(options.progress !== undefined ? { progress: options.progress } : {}),
    });
  } catch (error) {
    if (error instanceof NoticeDeliveryError) notices = error.result;
    noticeFailure = error instanceof Error ? error.message : String(error);
  }
  try {
    const result = await publishing.publisher.publish({
      usage,
      timestamp: floorToHour(now),
      thresholds,
      perKeyMetrics: env.monitoring.perKeyMetrics,
      ...(notices !== undefined ? { noticesSentByThreshold: notices.sentByThreshold } : {}),
      ...(noticeFailure !== undefined ? { withholdHeartbeat: noticeFailure } : {}),
      ...(options.sinkReports !== undefined ? { sinks: options.sinkReports.map((r) => sinkStatus(r, now)) } : {}),
    });
    return { ...result, notices: notices ?? { due: 0, alreadySent: 0, sent: [], sentByThreshold: new Map(), failed: [] } };
  } catch (error) {
    throw new PublishRunError(error instanceof Error ? error.message : String(error), notices, { cause: error });
  }
}
