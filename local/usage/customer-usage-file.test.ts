/** The local summary files: a run writes its month's summary and, before the next month starts, that month's opening summary. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { platformConfig } from '../../config/environments';
import { customerUsageObjectKey, parseCustomerUsageSummary } from '../../contracts/customer-usage';
import { withCustomerUsageFile } from './customer-usage-file';
import type { UsageRun } from './usage-refresher';

const environment = platformConfig.environments[0]!;
let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'customer-usage-file-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const run = async (month: string): Promise<UsageRun> => ({
  usage: { month, keys: [], unattributed: { requests: 0 }, totalRequests: 0 },
  rows: [],
  customers: [{ id: 'newco', name: 'Newco', plan: 'basic', quota: 500, revoked: false, keys: [], billing: {} }],
  registry: { location: 'registry.json', revision: 1 },
});
const read = (month: string) => parseCustomerUsageSummary(readFileSync(join(dir, customerUsageObjectKey(month)), 'utf8'), month, environment.name);

test("a run before the month ends also writes the next month's opening summary", async () => {
  await withCustomerUsageFile(run, dir, environment, () => new Date('2026-11-30T23:50:00.000Z'))('2026-11');
  expect(read('2026-11').opening).toBeUndefined();
  expect(read('2026-12')).toMatchObject({ opening: true, asOf: '2026-11-30T23:50:00.000Z', customers: { newco: { requests: 0, quota: 500 } } });
});

test('a run of the previous month once the next has started writes no opening summary', async () => {
  await withCustomerUsageFile(run, dir, environment, () => new Date('2026-12-01T00:00:00.000Z'))('2026-11');
  expect(existsSync(join(dir, customerUsageObjectKey('2026-11')))).toBe(true);
  expect(existsSync(join(dir, customerUsageObjectKey('2026-12')))).toBe(false);
});
