/**
 * The sink through the real AWS SDK client against moto (server mode), for request shapes only.
 * moto 5.2.5's BatchMeterUsage (moto/meteringmarketplace) is a stub, and this test says what it does
 * rather than what AWS does:
 * - every record answers CustomerNotSubscribed: its subscribed customers can be seeded only in
 *   process, not over the server, and it never stores accepted records (so no DuplicateRecord);
 * - no 6-hour rule and no 25-record limit;
 * - it reads CustomerIdentifier and the request ProductCode unconditionally, so a LicenseArn record
 *   (CustomerAWSAccountId, no ProductCode) fails with an HTML 500 the SDK cannot parse;
 * - ResolveCustomer is not implemented.
 * The published rules are the fake's job (testing/fake-marketplace.ts).
 */
import { BatchMeterUsageCommand, MarketplaceMeteringClient } from '@aws-sdk/client-marketplace-metering';
import { useMotoServer } from '../../../test-support/moto-server';
import { createMarketplaceSink } from './marketplace-sink';
import { readMarketplaceRecords } from './ledger';
import { sdkMeteringApi } from './metering-api';
import { MemoryLedgerStore } from '../testing/memory-ledger-store';
import { CONFIG, figures, licensed, runInput } from './testing/scenario';

const moto = useMotoServer();

describe('Marketplace sink against moto', () => {
  it('sends CustomerIdentifier records with the request ProductCode, 25 a call; moto answers each CustomerNotSubscribed', async () => {
    const ledger = new MemoryLedgerStore();
    const sdk = sdkMeteringApi({ ...moto.clientConfig('us-east-1') });
    const calls: { records: number; productCode?: string }[] = [];
    const sink = createMarketplaceSink({
      config: { ...CONFIG, identity: 'customer-identifier' },
      ledger,
      api: {
        batchMeterUsage: (request) => {
          calls.push({ records: request.UsageRecords?.length ?? 0, ...(request.ProductCode !== undefined ? { productCode: request.ProductCode } : {}) });
          return sdk.batchMeterUsage(request);
        },
      },
      sleep: async () => {},
    });
    const customers = Array.from({ length: 14 }, (_, i) => ({ ...licensed(`c${i}`, i), billing: { marketplaceCustomerIdentifier: `cust-${i}` } }));
    const hours = customers.map((c) => figures(c.id, '2026-11-03T09', 10 + Number(c.id.slice(1)), 2_000_000_000));
    const report = await sink.export(runInput('2026-11-03T12:10:00Z', hours, customers));
    expect(report.outcome).toBe('partial');
    expect(report.sent).toBe(28);
    expect(calls).toEqual([
      { records: 25, productCode: CONFIG.productCode },
      { records: 3, productCode: CONFIG.productCode },
    ]);
    expect(report.problems).toHaveLength(28);
    expect(report.problems.every((p) => /CustomerNotSubscribed/.test(p.message))).toBe(true);
    const doc = await readMarketplaceRecords(ledger, 'marketplace', 'dev', '2026-11');
    expect(doc.entries['c3 requests']?.records['2026-11-03T09']).toMatchObject({ quantity: 13, state: 'customer-not-subscribed' });
    expect(doc.entries['c3 bytesOut']?.records['2026-11-03T09']).toMatchObject({ quantity: 2, state: 'customer-not-subscribed' });
  });

  it('echoes each record with its timestamp, and keeps no 6-hour rule (AWS refuses such a call whole)', async () => {
    const client = new MarketplaceMeteringClient({ ...moto.clientConfig('us-east-1'), maxAttempts: 1 });
    const old = new Date('2020-01-01T00:00:00Z');
    const answer = await client.send(
      new BatchMeterUsageCommand({ ProductCode: 'p', UsageRecords: [{ Timestamp: old, CustomerIdentifier: 'x', Dimension: 'requests', Quantity: 1 }] }),
    );
    expect(answer.Results).toEqual([expect.objectContaining({ Status: 'CustomerNotSubscribed', UsageRecord: expect.objectContaining({ Timestamp: old }) })]);
  });

  it('fails a LicenseArn record (CustomerAWSAccountId, no ProductCode) with a 500: the sink keeps it as an unanswered intent', async () => {
    const ledger = new MemoryLedgerStore();
    const sink = createMarketplaceSink({
      config: CONFIG,
      ledger,
      api: sdkMeteringApi({ ...moto.clientConfig('us-east-1') }),
      maxAttempts: 2,
      sleep: async () => {},
    });
    const report = await sink.export(runInput('2026-11-03T12:10:00Z', [figures('acme', '2026-11-03T09', 4)], [licensed('acme', 1)]));
    expect(report).toMatchObject({ outcome: 'failed', sent: 0 });
    expect(report.problems.map((p) => p.message)).toEqual([expect.stringMatching(/no answer for the requests record of acme .*resent unchanged next run/)]);
    const doc = await readMarketplaceRecords(ledger, 'marketplace', 'dev', '2026-11');
    expect(doc.entries['acme requests']).toMatchObject({
      identity: { customerAwsAccountId: '100000000001' },
      records: { '2026-11-03T09': { state: 'intent' } },
    });
  });
});
