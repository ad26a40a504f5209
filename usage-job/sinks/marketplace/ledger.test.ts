import { decodeDimension, encodeDimension, type DimensionLedger } from './ledger';

const identity = { customerAwsAccountId: '100000000001', licenseArn: 'arn:aws:license-manager::1:license:l-1' };
const other = { customerAwsAccountId: '100000000001', licenseArn: 'arn:aws:license-manager::1:license:l-7' };

describe('Marketplace ledger columns', () => {
  it('stores every field of every record and reads it back as it was', () => {
    const entry: DimensionLedger = {
      customerId: 'acme',
      dimension: 'requests',
      dimensionName: 'requests',
      identity,
      records: {
        '2026-11-01T00': { quantity: 4, state: 'success', meteringRecordId: 'b2f0c1d8-0c6a-4f1e-9a55-1f2e3d4c5b6a' },
        '2026-11-01T03': { quantity: 0, state: 'customer-not-subscribed' },
        '2026-11-02T02': { quantity: 30, state: 'unconfirmed', lateUnits: 26, lateFrom: ['2026-11-01T03', '2026-11-01T05'] },
        '2026-11-02T03': { quantity: 7, state: 'intent', identity: other },
        '2026-11-30T23': { quantity: 2_147_483_647, state: 'duplicate-record', meteringRecordId: 'mr-9' },
      },
    };
    const stored = encodeDimension(entry, '2026-11');
    expect(stored).toMatchObject({ states: expect.stringMatching(/^S\.\.N\.+UI\.+D$/), quantities: [4, 0, 30, 7, 2_147_483_647] });
    expect(stored.states).toHaveLength(720);
    expect(decodeDimension(JSON.parse(JSON.stringify(stored)), 'acme', 'requests', '2026-11', 'memory://x')).toEqual(entry);
    // Details of records before hour 48 (sealed days 1 and 2) are left to the sealed parts; states, quantities and identities stay.
    const hot = encodeDimension(entry, '2026-11', 48);
    expect(hot).toMatchObject({ detailFrom: 48, quantities: [4, 0, 30, 7, 2_147_483_647], meteringRecordIds: ['mr-9'] });
    expect(hot.late).toBeUndefined();
    const records = decodeDimension(hot, 'acme', 'requests', '2026-11', 'memory://x').records;
    expect(records['2026-11-01T00']).toEqual({ quantity: 4, state: 'success' });
    expect(records['2026-11-02T02']).toEqual({ quantity: 30, state: 'unconfirmed' });
    expect(records['2026-11-02T03']).toEqual(entry.records['2026-11-02T03']);
    expect(records['2026-11-30T23']).toEqual(entry.records['2026-11-30T23']);
  });

  it('refuses a record outside the month, and columns that disagree, in one line', () => {
    const entry: DimensionLedger = {
      customerId: 'acme',
      dimension: 'bytesOut',
      dimensionName: 'gb_out',
      identity,
      records: { '2026-12-01T00': { quantity: 1, state: 'success' } },
    };
    expect(() => encodeDimension(entry, '2026-11')).toThrow('marketplace ledger of 2026-11: acme bytesOut has a record outside the month (hour index 720)');
    const stored = { name: 'gb_out', identity, states: 'S.S', quantities: [1], meteringRecordIds: ['', ''] };
    expect(() => decodeDimension(stored, 'acme', 'bytesOut', '2026-11', 'memory://x/shard-001.json')).toThrow(
      'memory://x/shard-001.json: acme bytesOut has fewer quantities than records',
    );
    expect(() => decodeDimension({ ...stored, states: 'SX', quantities: [1, 1] }, 'acme', 'bytesOut', '2026-11', 'w')).toThrow(
      'w: acme bytesOut has an unknown state letter "X" at hour 1',
    );
  });
});
