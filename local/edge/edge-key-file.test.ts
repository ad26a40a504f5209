/**
 * The local edge reads its key value store from <state>/edge-keys.json on every request: a key
 * added to the file works on the next request, a key removed gets 403 on the next one, without a
 * restart; a file that is not the contract's object fails loudly instead of letting keys through.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiKeyFingerprint } from '../../contracts/api-key';
import { writeFileAtomic } from '../../keys/atomic-file';
import { LocalEdge } from './edge';
import { edgeKeyFile, edgeKeysPath } from './edge-key-file';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edge-key-file-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const KEY = 'LiveKey'.padEnd(40, 'x');
const request = (edge: LocalEdge) =>
  edge.viewerRequest({
    method: 'GET',
    url: '/example',
    headers: { 'x-api-key': KEY },
    clientIp: '127.0.0.1',
    edgeRequestId: 'r',
    distributionId: 'E',
    host: 'h',
  });

test('follows the file from one request to the next: absent, added, in grace, revoked', () => {
  const file = edgeKeysPath(dir);
  const edge = new LocalEdge(edgeKeyFile(file));
  expect(request(edge)).toMatchObject({ kind: 'respond', statusCode: 403, logData: apiKeyFingerprint(KEY) });
  writeFileAtomic(file, JSON.stringify({ [apiKeyFingerprint(KEY)]: 'active' }));
  expect(request(edge)).toMatchObject({ kind: 'forward' });
  writeFileAtomic(file, JSON.stringify({ [apiKeyFingerprint(KEY)]: 'until:1' }));
  expect(request(edge)).toMatchObject({ kind: 'respond', statusCode: 403 });
  writeFileAtomic(file, JSON.stringify({ [apiKeyFingerprint(KEY)]: 'until:4102444800' }));
  expect(request(edge)).toMatchObject({ kind: 'forward' });
  writeFileAtomic(file, '{}');
  expect(request(edge)).toMatchObject({ kind: 'respond', statusCode: 403, logData: apiKeyFingerprint(KEY) });
});

test('refuses a file that is not an object of strings, saying how to repair it', () => {
  const file = edgeKeysPath(dir);
  writeFileSync(file, '["active"]');
  expect(() => edgeKeyFile(file)('x')).toThrow(/must hold one JSON object .*keys sync --fix/);
  writeFileSync(file, '{"abc": 1}');
  expect(() => edgeKeyFile(file)('abc')).toThrow(/value of abc is not a string/);
});

test('with a reporter, a damaged file is reported once and every key gets 403 until it is fixed', () => {
  const file = edgeKeysPath(dir);
  const reports: string[] = [];
  const edge = new LocalEdge(edgeKeyFile(file, (m) => reports.push(m)));
  writeFileSync(file, '{"truncated');
  expect(request(edge)).toMatchObject({ kind: 'respond', statusCode: 403 });
  expect(request(edge)).toMatchObject({ kind: 'respond', statusCode: 403 });
  expect(reports).toHaveLength(1);
  expect(reports[0]).toMatch(/edge-keys\.json is not valid JSON .*every key gets 403 until it is fixed$/);
  writeFileAtomic(file, JSON.stringify({ [apiKeyFingerprint(KEY)]: 'active' }));
  expect(request(edge)).toMatchObject({ kind: 'forward' });
});
