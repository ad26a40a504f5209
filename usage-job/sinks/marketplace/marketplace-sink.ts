/**
 * The AWS Marketplace sink (docs/marketplace.md): per customer, dimension and hour one
 * BatchMeterUsage record, sent once.
 *
 * Crash safety: the run writes every planned record to the ledger as an intent before it sends
 * anything, and writes the answers after. The ledger is sharded by customer: a kill while a
 * checkpoint is stored leaves each shard whole, old or new, and a customer's records live in one
 * shard, so each customer is either at its intents (or answers) or before them. A run that died in between finds the intents and sends
 * them again unchanged: "Identical requests are idempotent and can be retried with the same records
 * or a subset of records" (API reference, BatchMeterUsage), so an accepted record comes back as
 * Success, and a record with another quantity would be a DuplicateRecord: the ledger never changes
 * an intent's quantity, hour or identity.
 */
import { hourIdOf, type HourId } from '../../../sql/hours';
import { LedgerConflictError, type SinkLedgerStore, type SinkProblem, type SinkReport, type SinkRunInput, type UsageSink } from '../sink';
import { resolveMarketplaceConfig, type MarketplaceSinkConfig } from '../../../config/marketplace-sink';
import {
  decodeLedger,
  entryKey,
  hourIndexIn,
  readMarketplaceLedger,
  storeCustomer,
  type DimensionLedger,
  type LedgerRecord,
  type MarketplaceLedger,
} from './ledger';
import { sdkMeteringApi, type MeteringApi } from './metering-api';
import { firstOpenHourMs, oldestUnreported, planRun, type PlannedRecord } from './plan';
import { sealClosedDays } from './seal';
import { MarketplaceSender, type SendOutcome } from './sender';

export const MARKETPLACE_SINK_NAME = 'marketplace';

export interface MarketplaceSinkOptions {
  readonly config: MarketplaceSinkConfig;
  readonly ledger: SinkLedgerStore;
  /** The Metering Service; default the AWS SDK client in `config.region` (endpoint for tests). */
  readonly api?: MeteringApi;
  readonly endpoint?: string;
  readonly maxAttempts?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** Fault tests only: called after the intents are written and the calls made, before the answers are written. */
  readonly beforeAnswersWritten?: () => Promise<void>;
}

/** Sets (or with undefined removes) one record in place: the run owns its copy of the ledger, and a run writes tens of thousands. */
function setRecord(ledger: MarketplaceLedger, planned: PlannedRecord, record: LedgerRecord | undefined, changed: Set<string>): void {
  changed.add(planned.customerId);
  const entries = ledger.entries as Record<string, DimensionLedger>;
  const key = entryKey(planned.customerId, planned.dimension);
  const entry =
    entries[key] ??
    (entries[key] = {
      customerId: planned.customerId,
      dimension: planned.dimension,
      dimensionName: planned.dimensionName,
      identity: planned.identity,
      records: {},
    });
  const records = entry.records as Record<string, LedgerRecord>;
  if (record === undefined) delete records[planned.hour];
  else records[planned.hour] = record;
}

/** The ledger's record after the answer: replaced, kept as the intent, or dropped (undefined: its units are planned again). */
function answered(planned: PlannedRecord, outcome: SendOutcome, isResend: boolean): LedgerRecord | undefined | 'keep' {
  switch (outcome.state) {
    case 'success':
    case 'customer-not-subscribed':
    case 'duplicate-record':
      return {
        ...planned.record,
        state: outcome.state,
        ...(outcome.meteringRecordId !== undefined ? { meteringRecordId: outcome.meteringRecordId } : {}),
      };
    case 'unanswered':
      return isResend || outcome.maybeProcessed ? 'keep' : undefined;
    case 'refused':
      // Nothing of a refused call was processed: a record planned in this run is dropped and its units planned again; a resent one may have been accepted in an earlier run, so it stays.
      return isResend ? 'keep' : undefined;
  }
}

function problemFor(planned: PlannedRecord, outcome: SendOutcome): SinkProblem | undefined {
  const what = `${planned.dimension} record of ${planned.customerId} for ${planned.hour} (${planned.record.quantity} units)`;
  switch (outcome.state) {
    case 'success':
      return undefined;
    case 'customer-not-subscribed':
      return {
        customerId: planned.customerId,
        hour: planned.hour,
        message: `AWS Marketplace answered CustomerNotSubscribed for the ${what}: the buyer has no active subscription or agreement (or its ids are wrong; keys show ${planned.customerId}); its units carry to its next open hour`,
      };
    case 'duplicate-record':
      return {
        customerId: planned.customerId,
        hour: planned.hour,
        message: `AWS Marketplace answered DuplicateRecord for the ${what}: it already holds another quantity for that customer, dimension and hour that this ledger does not know (another sender, or a lost ledger); check before re-running`,
      };
    case 'unanswered':
      return {
        customerId: planned.customerId,
        hour: planned.hour,
        message: outcome.maybeProcessed
          ? `no answer for the ${what} (${outcome.error}); it is resent unchanged next run`
          : `the ${what} was not processed (${outcome.error}); its units are planned again next run`,
      };
    case 'refused':
      return { customerId: planned.customerId, hour: planned.hour, message: `AWS Marketplace refused the ${what}: ${outcome.error}` };
  }
}

export function createMarketplaceSink(options: MarketplaceSinkOptions): UsageSink {
  const config = resolveMarketplaceConfig(options.config);
  const api = options.api ?? sdkMeteringApi({ region: config.region, ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}) });
  return {
    name: MARKETPLACE_SINK_NAME,
    async export(input: SinkRunInput): Promise<SinkReport> {
      const file = await readMarketplaceLedger(options.ledger, MARKETPLACE_SINK_NAME, input.environment, input.month);
      const location = file.location();
      const ledger = decodeLedger(file, input.month);
      /** Customers whose records changed since the last checkpoint. */
      const changed = new Set<string>();
      const plan = planRun({ config, month: input.month, now: input.now, hours: input.hours, customers: input.customers, ledger });
      const problems: SinkProblem[] = [...plan.problems];
      // failed: records were due and not one got through; partial: some customer or hour is named in problems.
      const report = (sent: number, oldest: HourId | null, attempted = 0): SinkReport => ({
        sink: MARKETPLACE_SINK_NAME,
        outcome: problems.length === 0 ? 'ok' : attempted > 0 && sent === 0 ? 'failed' : 'partial',
        sent,
        unchanged: plan.unchanged,
        problems,
        oldestUnreportedHour: oldest,
      });
      if (input.dryRun) {
        input.progress?.(`marketplace: would send ${plan.records.length} new records and resend ${plan.resends.length} (dry run)`);
        return report(0, oldestUnreported({ config, month: input.month, hours: input.hours, customers: input.customers, ledger }));
      }
      const conflictStops = (error: unknown) =>
        error instanceof LedgerConflictError
          ? new Error(`marketplace ledger ${location} changed underneath this run (another run?); nothing more was sent: ${error.message}`, { cause: error })
          : error;
      // Only the shards of changed customers are rewritten; each has its own compare-and-swap.
      const save = async () => {
        for (const customerId of changed) storeCustomer(file, ledger, customerId, input.month);
        changed.clear();
        try {
          await file.write();
        } catch (error) {
          throw conflictStops(error);
        }
      };
      for (const e of plan.expired) setRecord(ledger, e, { ...e.record, state: 'unconfirmed' }, changed);
      for (const r of plan.records) setRecord(ledger, r, r.record, changed);
      if (plan.records.length > 0 || plan.expired.length > 0) await save();

      const toSend = [...plan.resends, ...plan.records];
      const sender = new MarketplaceSender({
        api,
        mode: config.identity,
        productCode: config.productCode,
        ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
        ...(options.sleep !== undefined ? { sleep: options.sleep } : {}),
        ...(options.random !== undefined ? { random: options.random } : {}),
      });
      input.progress?.(`marketplace: sending ${plan.records.length} new records and resending ${plan.resends.length}`);
      const outcomes = await sender.send(toSend);
      await options.beforeAnswersWritten?.();
      let sent = 0;
      toSend.forEach((planned, i) => {
        const outcome = outcomes[i] as SendOutcome;
        if (outcome.state !== 'refused' && outcome.state !== 'unanswered') sent++;
        const next = answered(planned, outcome, i < plan.resends.length);
        if (next !== 'keep') setRecord(ledger, planned, next, changed);
        const problem = problemFor(planned, outcome);
        if (problem !== undefined) problems.push(problem);
      });
      if (toSend.length > 0) await save();
      // A month nothing was ever written for has nothing to seal, and gets no ledger.
      if (file.stored) {
        const firstOpenHour = hourIndexIn(input.month, hourIdOf(new Date(firstOpenHourMs(config, input.now))));
        try {
          const detailed = await sealClosedDays({
            file,
            ledger,
            store: options.ledger,
            sink: MARKETPLACE_SINK_NAME,
            environment: input.environment,
            month: input.month,
            firstOpenHour,
          });
          detailed.forEach((customerId) => changed.add(customerId));
        } catch (error) {
          throw conflictStops(error);
        }
        await save();
      }
      input.progress?.(`marketplace: ${sent} records answered in ${sender.stats.calls} calls (${sender.stats.retries} retries); ledger ${location}`);
      return report(sent, oldestUnreported({ config, month: input.month, hours: input.hours, customers: input.customers, ledger }), toSend.length);
    },
  };
}
