/**
 * Every distinct call the engine check recorded (permissions/testing/recorded-calls.json: one per
 * service and operation, from provider 5.100.0's debug logs of both billing stacks and the usage
 * job's proxy, bodies cut as the provider cuts them) maps to IAM requests whose action and resource
 * type AWS's service authorization data knows (the evaluator refuses anything else).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mapCall } from './call-map';
import { evaluate } from './evaluate';
import type { RecordedCall } from './recorded-call';

const calls = JSON.parse(readFileSync(join(__dirname, 'testing', 'recorded-calls.json'), 'utf8')) as RecordedCall[];

test('the fixture holds the calls of every phase', () => {
  expect(calls.length).toBeGreaterThan(80);
});

test('every recorded call maps to IAM requests of known actions on ARNs of their resource types', async () => {
  const nobody = { arn: 'arn:aws:iam::111111111111:role/nobody', policies: [] };
  const problems: string[] = [];
  for (const call of calls) {
    try {
      for (const need of mapCall(call, { account: '111111111111', athenaWorkgroup: 'ubb-dev-usage' })) await evaluate(nobody, need);
    } catch (error) {
      problems.push(`${call.service} ${call.operation}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  expect(problems).toEqual([]);
});
