import { platformConfig } from '../config/environments';
import { billingStackName } from '../stacks/stack-names';
import { synthPlatform } from '../stacks/testing/synth-platform';
import { deployIdentity } from './deploy-identities';
import type { Identity } from './evaluate';
import { missingPermissions, resourceTypesOf } from './missing-permissions';
import { permissionsFor } from './resource-permissions';

const stacks = synthPlatform(platformConfig);

describe('every resource type of every billing stack, against the synthesized deploy roles', () => {
  for (const env of platformConfig.environments) {
    test(`${billingStackName(env.name)}: the plan role can refresh and the apply role can manage every resource type`, async () => {
      const stack = stacks.get(billingStackName(env.name));
      if (stack === undefined) throw new Error(`no synthesized ${billingStackName(env.name)}`);
      const types = resourceTypesOf(stack.json);
      expect(types.length).toBeGreaterThan(30);
      const roles = { plan: deployIdentity(stacks, env, 'plan'), apply: deployIdentity(stacks, env, 'apply') };
      expect(await missingPermissions(types, env, roles)).toEqual([]);
    });
  }

  test('a resource type without a row fails naming the type', () => {
    expect(() => permissionsFor('aws_sqs_queue', platformConfig.environments[0])).toThrow(/^aws_sqs_queue: no row in permissions\/resource-permissions\.ts/);
  });

  test('a missing permission fails naming resource type, action, resource and role', async () => {
    const env = platformConfig.environments[0];
    const nothing = (role: 'plan' | 'apply'): Identity => ({
      arn: deployIdentity(stacks, env, role).arn,
      policies: [{ name: 'none', document: { Version: '2012-10-17', Statement: [] } }],
    });
    const lines = await missingPermissions(['aws_cloudwatch_event_target'], env, { plan: nothing('plan'), apply: nothing('apply') });
    expect(lines).toEqual([
      `aws_cloudwatch_event_target: ${env.prefix}-github-plan is refused events:ListTargetsByRule on arn:aws:events:${env.region}:${env.accountId}:rule/${env.prefix}-quota-notices-to-alarms (ImplicitlyDenied)`,
      `aws_cloudwatch_event_target: ${env.prefix}-github-apply is refused events:ListTargetsByRule on arn:aws:events:${env.region}:${env.accountId}:rule/${env.prefix}-quota-notices-to-alarms (ImplicitlyDenied)`,
      `aws_cloudwatch_event_target: ${env.prefix}-github-apply is refused events:PutTargets on arn:aws:events:${env.region}:${env.accountId}:rule/${env.prefix}-quota-notices-to-alarms (ImplicitlyDenied)`,
      `aws_cloudwatch_event_target: ${env.prefix}-github-apply is refused events:RemoveTargets on arn:aws:events:${env.region}:${env.accountId}:rule/${env.prefix}-quota-notices-to-alarms (ImplicitlyDenied)`,
    ]);
  });
});
