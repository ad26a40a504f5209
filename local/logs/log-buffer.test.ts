import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readLogRecords } from '../testing/log-files';
import { removeTempDirs, tempDir } from '../testing/platform-process';
import { LogBuffer } from './log-buffer';
import { buildLogRecord, newEdgeRequestId } from './log-record';

const record = (iso: string) =>
  buildLogRecord({
    startedMs: Date.parse(iso),
    finishedMs: Date.parse(iso),
    edgeLocation: 'LCL1-C1',
    clientIp: '127.0.0.1',
    method: 'GET',
    path: '/example',
    status: 200,
    userAgent: undefined,
    viewerQuery: '',
    logData: '-',
    edgeRequestId: newEdgeRequestId(),
    host: undefined,
    protocol: 'http',
    requestBytes: 1,
    responseBytes: 1,
    contentType: undefined,
    result: 'origin',
  });

test('records go to the partition of their hour; a failed write keeps them for the next flush', async () => {
  const root = join(tempDir('log-buffer-'), 'logs');
  writeFileSync(root, 'a file where the log folder should be'); // makes the first flush fail
  const buffer = new LogBuffer({ root, accountId: '000000000000', distributionId: 'ELOCALPLATFORM' });
  buffer.add(record('2026-11-30T23:59:59Z'));
  buffer.add(record('2026-12-01T00:00:01Z'));
  buffer.add(record('2026-12-01T00:30:00Z'));
  await expect(buffer.flush()).rejects.toThrow();
  expect(buffer.pendingCount).toBe(3);
  expect(buffer.written).toBe(0);

  rmSync(root);
  mkdirSync(root);
  buffer.add(record('2026-12-01T00:45:00Z'));
  await buffer.close();
  expect(buffer.pendingCount).toBe(0);
  expect(buffer.written).toBe(4);
  expect(buffer.files).toBe(2); // one per partition hour
  const rows = await readLogRecords(root);
  expect(rows.map((r) => `${r.year}-${r.month}-${r.day}T${r.hour} ${r.date} ${r.time}`).sort()).toEqual([
    '2026-11-30T23 2026-11-30 23:59:59',
    '2026-12-01T00 2026-12-01 00:00:01',
    '2026-12-01T00 2026-12-01 00:30:00',
    '2026-12-01T00 2026-12-01 00:45:00',
  ]);
});

afterAll(removeTempDirs);
