/**
 * The test events in this folder (AWS's CloudFront Functions event shape, usable with
 * `aws cloudfront test-function --event-object fileb://<file>`) and their expected outcomes from
 * expected.json. A forwarded event expects exactly the listed query parameters plus
 * apikey_fp = fingerprint of its x-api-key header, and its headers and cookies unchanged.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CloudFrontEvent, CloudFrontValueMap } from '../event';

export type ExpectedOutcome =
  | { readonly description: string; readonly outcome: 'forbidden' }
  | { readonly description: string; readonly outcome: 'forwarded'; readonly querystring: CloudFrontValueMap };

export interface TestEventCase {
  readonly name: string;
  readonly event: CloudFrontEvent;
  readonly expected: ExpectedOutcome;
}

export function loadTestEvents(dir: string = __dirname): TestEventCase[] {
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<string, ExpectedOutcome>;
  const names = readdirSync(dir)
    .filter((file) => file.endsWith('.json') && file !== 'expected.json')
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
