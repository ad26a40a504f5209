/**
 * A stateful AWS Marketplace Metering Service with the published BatchMeterUsage rules, written
 * from AWS's documentation (docs/marketplace.md lists the sources), not from the sink:
 *
 * - at most 25 UsageRecords per call ("BatchMeterUsage can process up to 25 UsageRecords at a
 *   time"); more fails the call (the error's name is not documented: ValidationException here);
 * - records 6 hours or more after their timestamp ("Usage records aren't accepted 6 hours or more
 *   after an event"; the window is a parameter, newer SDK models say 24) fail the whole call with
 *   TimestampOutOfBoundsException ("if any of the records are outside of the allowed range, the
 *   entire batch is not processed");
 * - a record with the same customer, dimension and time as an accepted one but another quantity is
 *   DuplicateRecord; the identical record again is Success ("Identical requests are idempotent");
 * - a customer not subscribed is CustomerNotSubscribed;
 * - Quantity is an integer from 0 to 2147483647;
 * - CustomerIdentifier and CustomerAWSAccountId are mutually exclusive; LicenseArn records carry no
 *   request ProductCode, CustomerIdentifier records need one;
 * - throttling (ThrottlingException) and UnprocessedRecords on demand.
 *
 * Its clock is set by the test; it never reads the wall clock.
 */
import type { BatchMeterUsageRequest, BatchMeterUsageResult, MeteringApi, UsageRecord, UsageRecordResult } from '../metering-api';

const HOUR_MS = 3_600_000;

export class FakeServiceError extends Error {
  readonly $metadata: { httpStatusCode: number };
  readonly $fault: 'client' | 'server';
  constructor(name: string, message: string, status: number) {
    super(message);
    this.name = name;
    this.$metadata = { httpStatusCode: status };
    this.$fault = status >= 500 ? 'server' : 'client';
  }
}

export interface AcceptedRecord {
  readonly customer: string;
  readonly dimension: string;
  readonly timestamp: number;
  readonly quantity: number;
  readonly meteringRecordId: string;
}

export class FakeMarketplace implements MeteringApi {
  now: Date;
  readonly windowHours: number;
  /** Subscribed buyers: `account licenseArn` for license records, the CustomerIdentifier for legacy ones. */
  readonly subscribed = new Set<string>();
  readonly accepted = new Map<string, AcceptedRecord>();
  /** Every call as it arrived (records and the outcome), for assertions. */
  readonly calls: { records: number; outcome: string }[] = [];
  private throttle = 0;
  private unprocess = 0;
  private down = false;
  private nextId = 1;

  constructor(options: { now: Date; windowHours?: number }) {
    this.now = options.now;
    this.windowHours = options.windowHours ?? 6;
  }

  subscribeLicense(account: string, licenseArn: string): void {
    this.subscribed.add(`${account} ${licenseArn}`);
  }
  subscribeCustomer(customerIdentifier: string): void {
    this.subscribed.add(customerIdentifier);
  }
  /** The next `n` calls fail with ThrottlingException. */
  throttleNext(n: number): void {
    this.throttle = n;
  }
  /** The next `n` calls process nothing and return every record as UnprocessedRecords. */
  unprocessNext(n: number): void {
    this.unprocess = n;
  }
  /** While down, every call fails as a connection would (no HTTP answer). */
  setDown(down: boolean): void {
    this.down = down;
  }

  /** Units accepted per `customer dimension`. */
  totals(): Map<string, number> {
    const out = new Map<string, number>();
    for (const r of this.accepted.values()) out.set(`${r.customer} ${r.dimension}`, (out.get(`${r.customer} ${r.dimension}`) ?? 0) + r.quantity);
    return out;
  }

  async batchMeterUsage(request: BatchMeterUsageRequest): Promise<BatchMeterUsageResult> {
    const records = request.UsageRecords ?? [];
    const fail = (name: string, message: string, status = 400): never => {
      this.calls.push({ records: records.length, outcome: name });
      throw new FakeServiceError(name, message, status);
    };
    if (this.down) {
      this.calls.push({ records: records.length, outcome: 'down' });
      throw Object.assign(new Error('connect ECONNREFUSED'), { name: 'Error', code: 'ECONNREFUSED' });
    }
    if (this.throttle > 0) {
      this.throttle--;
      fail('ThrottlingException', 'The calls to the API are throttled.');
    }
    if (records.length > 25) fail('ValidationException', `UsageRecords holds ${records.length} records; at most 25`);
    for (const r of records) {
      if (r.CustomerIdentifier !== undefined && r.CustomerAWSAccountId !== undefined)
        fail('ValidationException', 'CustomerIdentifier and CustomerAWSAccountId are mutually exclusive');
      if (r.LicenseArn !== undefined && request.ProductCode !== undefined) fail('ValidationException', 'ProductCode must not be sent with LicenseArn records');
      if (r.CustomerIdentifier !== undefined && request.ProductCode === undefined)
        fail('ValidationException', 'CustomerIdentifier records need the request ProductCode');
      if (r.CustomerIdentifier === undefined && (r.CustomerAWSAccountId === undefined || r.LicenseArn === undefined))
        fail('ValidationException', 'a record needs CustomerAWSAccountId and LicenseArn, or CustomerIdentifier');
      // Quantity: integer 0..2147483647 (botocore service model, shape UsageQuantity).
      const q = r.Quantity ?? 0;
      if (!Number.isInteger(q) || q < 0 || q > 2_147_483_647)
        fail('ValidationException', `Quantity must be a whole number from 0 to 2147483647, got ${String(r.Quantity)}`);
      const t = r.Timestamp?.getTime() ?? NaN;
      if (!(this.now.getTime() - t < this.windowHours * HOUR_MS))
        fail('TimestampOutOfBoundsException', `timestamp ${r.Timestamp?.toISOString()} is out of the allowed range`);
    }
    if (this.unprocess > 0) {
      this.unprocess--;
      this.calls.push({ records: records.length, outcome: 'unprocessed' });
      return { Results: [], UnprocessedRecords: records };
    }
    const results: UsageRecordResult[] = records.map((r) => this.meter(r));
    this.calls.push({ records: records.length, outcome: 'ok' });
    return { Results: results, UnprocessedRecords: [] };
  }

  private meter(r: UsageRecord): UsageRecordResult {
    const customer = r.CustomerIdentifier ?? `${r.CustomerAWSAccountId} ${r.LicenseArn}`;
    if (!this.subscribed.has(customer)) return { UsageRecord: r, Status: 'CustomerNotSubscribed' };
    const key = `${customer}\u0000${r.Dimension}\u0000${r.Timestamp?.getTime()}`;
    const quantity = r.Quantity ?? 0;
    const earlier = this.accepted.get(key);
    if (earlier !== undefined) {
      return earlier.quantity === quantity
        ? { UsageRecord: r, Status: 'Success', MeteringRecordId: earlier.meteringRecordId }
        : { UsageRecord: r, Status: 'DuplicateRecord' };
    }
    const meteringRecordId = `mr-${this.nextId++}`;
    this.accepted.set(key, { customer, dimension: r.Dimension ?? '', timestamp: r.Timestamp?.getTime() ?? 0, quantity, meteringRecordId });
    return { UsageRecord: r, Status: 'Success', MeteringRecordId: meteringRecordId };
  }
}
