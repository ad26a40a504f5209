/**
 * The edge key check switch (cf-functions/function-code.ts), run in the Node sandbox and in
 * Debian's njs: under `admit-unknown` a fingerprint the store does not hold passes on (API Gateway
 * still checks the key), everything else behaves as under `enforce`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiKeyFingerprint } from '../contracts/api-key';
import { VIEWER_REQUEST_PATH, viewerRequestCode } from './function-code';
import { runInNjs } from './njs-runner';
import { loadEdgeFunction, type CloudFrontEvent } from './sandbox';

const ACTIVE_KEY = 'active-key-0123456789abcd';
const UNKNOWN_KEY = 'unknown-key-0123456789abc';
const EXPIRED_KEY = 'expired-key-0123456789abc';
const MALFORMED_KEY = 'short';
const store: Record<string, string> = {
  [apiKeyFingerprint(ACTIVE_KEY)]: 'active',
  [apiKeyFingerprint(EXPIRED_KEY)]: 'until:1700000000',
};

function event(key: string): CloudFrontEvent {
  return {
    version: '1.0',
    context: { eventType: 'viewer-request' },
    viewer: { ip: '192.0.2.1' },
    request: { method: 'GET', uri: '/example', querystring: {}, headers: { 'x-api-key': { value: key } }, cookies: {} },
  } as unknown as CloudFrontEvent;
}

const dir = mkdtempSync(join(tmpdir(), 'edge-key-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function variant(check: 'enforce' | 'admit-unknown'): string {
  const path = join(dir, `viewer-request-${check}.js`);
  writeFileSync(path, viewerRequestCode(check));
  return path;
}

test('enforce deploys the file as written; admit-unknown changes only the switch line', () => {
  const file = readFileSync(VIEWER_REQUEST_PATH, 'utf8');
  expect(viewerRequestCode('enforce')).toBe(file);
  const admitted = viewerRequestCode('admit-unknown');
  const changed = admitted.split('\n').filter((line, i) => line !== file.split('\n')[i]);
  expect(changed).toEqual(['var ADMIT_UNKNOWN = true;']);
});

test('a function file without the switch line is refused, saying which line is missing', () => {
  const path = join(dir, 'no-switch.js');
  writeFileSync(path, readFileSync(VIEWER_REQUEST_PATH, 'utf8').replace('var ADMIT_UNKNOWN = false;', ''));
  expect(() => viewerRequestCode('admit-unknown', path)).toThrow(/must hold the line "var ADMIT_UNKNOWN = false;" exactly once \(found 0\)/);
});

const keys = [ACTIVE_KEY, UNKNOWN_KEY, EXPIRED_KEY, MALFORMED_KEY];
const expected = {
  enforce: ['pass', 'forbidden', 'forbidden', 'forbidden'],
  'admit-unknown': ['pass', 'pass', 'forbidden', 'forbidden'],
} as const;

describe.each(['enforce', 'admit-unknown'] as const)('%s', (check) => {
  const path = variant(check);
  const outcome = (result: unknown): string => ((result as { statusCode?: number }).statusCode === 403 ? 'forbidden' : 'pass');

  test('in the Node sandbox: unknown fingerprints as the check says, the fingerprint logged either way', () => {
    const edge = loadEdgeFunction(path, { kvs: (key) => (Object.hasOwn(store, key) ? store[key] : undefined) });
    const runs = keys.map((k) => edge(event(k)));
    expect(runs.map((r) => outcome(r.result))).toEqual(expected[check]);
    expect(runs[1].logData).toEqual([apiKeyFingerprint(UNKNOWN_KEY)]);
    expect(runs[3].logData).toEqual([]);
  });

  test("in Debian's njs: the same outcomes", () => {
    const outcomes = runInNjs(keys.map(event), path, store);
    expect(outcomes.map((o) => (o.ok ? outcome(o.run.result) : `threw: ${o.error}`))).toEqual(expected[check]);
  });
});
