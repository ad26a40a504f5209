/** Sinks for tests of the run around them (not of a billing service). */
import type { SinkReport, SinkRunInput, UsageSink } from '../sink';

/** Reports every hour it is given as sent, and keeps the inputs it got. */
export class RecordingSink implements UsageSink {
  readonly inputs: SinkRunInput[] = [];
  constructor(readonly name: string) {}
  async export(input: SinkRunInput): Promise<SinkReport> {
    this.inputs.push(input);
    return { sink: this.name, outcome: 'ok', sent: input.dryRun ? 0 : input.hours.length, unchanged: 0, problems: [], oldestUnreportedHour: null };
  }
}

/** Rejects: nothing could be attempted (its service is down, its key is missing). */
export class ThrowingSink implements UsageSink {
  constructor(
    readonly name: string,
    private readonly message = 'connect ECONNREFUSED 127.0.0.1:12111',
  ) {}
  async export(): Promise<SinkReport> {
    throw new Error(this.message);
  }
}

/** Returns the report it was built with (partial or failed ones included). */
export class FixedReportSink implements UsageSink {
  constructor(
    readonly name: string,
    private readonly report: Omit<SinkReport, 'sink'>,
  ) {}
  async export(): Promise<SinkReport> {
    return { sink: this.name, ...this.report };
  }
}
