/** The fake Marketplace keeps the published BatchMeterUsage rules (testing/fake-marketplace.ts cites them). */
import { FakeMarketplace } from './testing/fake-marketplace';
import { account, license } from './testing/scenario';

const at = (iso: string) => new Date(iso);
const rec = (n: number, hour: string, quantity: number, dimension = 'requests') => ({
  Timestamp: at(`${hour}:00:00Z`),
  Dimension: dimension,
  Quantity: quantity,
  CustomerAWSAccountId: account(n),
  LicenseArn: license(n),
});

describe('fake Marketplace', () => {
  const fake = () => {
    const f = new FakeMarketplace({ now: at('2026-11-03T12:00:00Z') });
    f.subscribeLicense(account(1), license(1));
    return f;
  };

  it('takes at most 25 records a call', async () => {
    const f = fake();
    const records = Array.from({ length: 26 }, (_, i) => rec(1, '2026-11-03T10', 1, `d${i}`));
    await expect(f.batchMeterUsage({ UsageRecords: records })).rejects.toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
    await expect(f.batchMeterUsage({ UsageRecords: records.slice(0, 25) })).resolves.toMatchObject({ UnprocessedRecords: [] });
  });

  it('refuses the whole call when one record is 6 hours or more old', async () => {
    const f = fake();
    await expect(f.batchMeterUsage({ UsageRecords: [rec(1, '2026-11-03T07', 1), rec(1, '2026-11-03T06', 1)] })).rejects.toMatchObject({
      name: 'TimestampOutOfBoundsException',
    });
    expect(f.accepted.size).toBe(0);
    await expect(f.batchMeterUsage({ UsageRecords: [rec(1, '2026-11-03T07', 1)] })).resolves.toMatchObject({ Results: [{ Status: 'Success' }] });
  });

  it('answers the identical record Success again, another quantity DuplicateRecord, an unknown buyer CustomerNotSubscribed', async () => {
    const f = fake();
    const first = await f.batchMeterUsage({ UsageRecords: [rec(1, '2026-11-03T10', 5)] });
    const again = await f.batchMeterUsage({ UsageRecords: [rec(1, '2026-11-03T10', 5)] });
    expect(again.Results?.[0]).toMatchObject({ Status: 'Success', MeteringRecordId: first.Results?.[0]?.MeteringRecordId });
    expect((await f.batchMeterUsage({ UsageRecords: [rec(1, '2026-11-03T10', 6)] })).Results?.[0]?.Status).toBe('DuplicateRecord');
    expect((await f.batchMeterUsage({ UsageRecords: [rec(2, '2026-11-03T10', 6)] })).Results?.[0]?.Status).toBe('CustomerNotSubscribed');
    expect([...f.totals().values()]).toEqual([5]);
  });

  it('keeps the two identity forms apart', async () => {
    const f = fake();
    await expect(f.batchMeterUsage({ ProductCode: 'p', UsageRecords: [rec(1, '2026-11-03T10', 1)] })).rejects.toThrow(
      /ProductCode must not be sent with LicenseArn/,
    );
    await expect(f.batchMeterUsage({ UsageRecords: [{ ...rec(1, '2026-11-03T10', 1), CustomerIdentifier: 'x' }] })).rejects.toThrow(/mutually exclusive/);
    await expect(
      f.batchMeterUsage({ UsageRecords: [{ Timestamp: at('2026-11-03T10:00:00Z'), Dimension: 'requests', Quantity: 1, CustomerIdentifier: 'x' }] }),
    ).rejects.toThrow(/need the request ProductCode/);
  });

  it('throttles and leaves records unprocessed on demand', async () => {
    const f = fake();
    f.throttleNext(1);
    f.unprocessNext(1);
    await expect(f.batchMeterUsage({ UsageRecords: [rec(1, '2026-11-03T10', 1)] })).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(await f.batchMeterUsage({ UsageRecords: [rec(1, '2026-11-03T10', 1)] })).toMatchObject({ Results: [], UnprocessedRecords: [expect.anything()] });
    expect(f.accepted.size).toBe(0);
  });
});
