/**
 * The test events in this folder (AWS's CloudFront Functions event shape, usable with
 * `aws cloudfront test-function --event-object fileb://<file>`) and their expected outcomes from
 * expected.json: "forbidden" (the 403 response) or "forwarded" (the request exactly as it came
 * in), each with the values the function must pass to cf.logCustomData (written out, computed
 * outside Node): none for a missing or malformed key, else the fingerprint of the event's
 * x-api-key, once, whether the store lets it pass or not. edge-store.json is the key value store
 * the events run against (fingerprint to value, contracts/edge-keys.ts); to replay an event with
 * `aws cloudfront test-function`, the associated store must hold those entries.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CloudFrontEvent } from '../event';

export interface ExpectedOutcome {
  readonly description: string;
  readonly outcome: 'forbidden' | 'forwarded';
  readonly logData: readonly string[];
}

export interface TestEventCase {
  readonly name: string;
  readonly event: CloudFrontEvent;
  readonly expected: ExpectedOutcome;
}

export const TEST_STORE_FILE = 'edge-store.json';

/** The key value store the test events run against: fingerprint to value. */
export function loadTestStore(dir: string = __dirname): Record<string, string> {
  return JSON.parse(readFileSync(join(dir, TEST_STORE_FILE), 'utf8')) as Record<string, string>;
}

export function loadTestEvents(dir: string = __dirname): TestEventCase[] {
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<string, ExpectedOutcome>;
  const names = readdirSync(dir)
    .filter((file) => file.endsWith('.json') && file !== 'expected.json' && file !== TEST_STORE_FILE)
    .map((file) => file.slice(0, -'.json'.length))
    .sort();
  const missing = names.filter((name) => expected[name] === undefined);
  const orphans = Object.keys(expected).filter((name) => !names.includes(name));
  if (missing.length > 0 || orphans.length > 0) {
    throw new Error(`test-events: no expectation for [${missing.join(', ')}]; expectation without event for [${orphans.join(', ')}]`);
  }
  return names.map((name) => ({
    name,
    event: JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as CloudFrontEvent,
    expected: expected[name],
  }));
}
