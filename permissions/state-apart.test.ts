/**
 * Issue 17, part 6: each environment's roles reach only their own state objects, and each
 * bootstrap drift role only its own stack's state. Decided by the evaluator with both sides AWS
 * checks for a cross-account request: the role's identity policy and the state bucket's policy
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html).
 */
import { platformConfig } from '../config/environments';
import type { EnvironmentConfig } from '../config/types';
import { bootstrapDriftTargets } from '../stacks/bootstrap/bootstrap-drift-role';
import { stateKey } from '../stacks/shared/backend';
import { billingStackName } from '../stacks/stack-names';
import { evaluate, type Decision } from './evaluate';
import { bootstrapDriftIdentity, deployIdentity, stateBucketPolicy } from './testing/bootstrap-policies';

const bucket = `arn:aws:s3:::${platformConfig.bootstrap.stateBucket}`;
const resourcePolicy = stateBucketPolicy();
const TLS = { 'aws:SecureTransport': 'true' };
// S3 ARNs carry no account: without it the evaluator would take the bucket for the caller's own.
const resourceAccount = platformConfig.bootstrap.accountId;
const envs = platformConfig.environments;
const stateOf = (env: EnvironmentConfig) => `${bucket}/${stateKey(billingStackName(env.name))}`;
const bootstrapStates = bootstrapDriftTargets(platformConfig).map((t) => `${bucket}/${t.stateKey}`);

type Kind = 'plan' | 'apply' | 'usage-job';
/** What each role may do to its own state object and lock. */
const OWN: Readonly<Record<Kind, readonly [string, 'state' | 'lock', Decision][]>> = {
  plan: [
    ['s3:GetObject', 'state', 'Allowed'],
    ['s3:PutObject', 'state', 'ImplicitlyDenied'],
    ['s3:PutObject', 'lock', 'ImplicitlyDenied'],
  ],
  apply: [
    ['s3:GetObject', 'state', 'Allowed'],
    ['s3:PutObject', 'state', 'Allowed'],
    ['s3:PutObject', 'lock', 'Allowed'],
    ['s3:DeleteObject', 'lock', 'Allowed'],
  ],
  'usage-job': [['s3:GetObject', 'state', 'ImplicitlyDenied']],
};

describe.each(envs.map((env) => [env.name, env] as const))('the %s roles', (_name, env) => {
  describe.each((['plan', 'apply', 'usage-job'] as const).map((kind) => [kind] as const))('%s', (kind) => {
    const identity = deployIdentity(env, kind);

    test.each(OWN[kind].map(([action, what, decision]) => [`${action} ${what}`, action, what, decision] as const))(
      'own %s',
      async (_label, action, what, decision) => {
        const resource = what === 'state' ? stateOf(env) : `${stateOf(env)}.tflock`;
        await expect(evaluate(identity, { action, resource, resourcePolicy, resourceAccount, context: TLS })).resolves.toBe(decision);
      },
    );

    test('never another environment’s state or a bootstrap state', async () => {
      const others = [...envs.filter((e) => e.name !== env.name).flatMap((e) => [stateOf(e), `${stateOf(e)}.tflock`]), ...bootstrapStates];
      for (const resource of others) {
        for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject']) {
          const decision = await evaluate(identity, { action, resource, resourcePolicy, resourceAccount, context: TLS });
          expect({ action, resource, decision }).toEqual({ action, resource, decision: expect.not.stringMatching(/^Allowed$/) });
        }
      }
    });
  });
});

describe.each(bootstrapDriftTargets(platformConfig).map((t) => [t.stack, t] as const))('the drift role of %s', (_stack, target) => {
  const identity = bootstrapDriftIdentity(target.stack, target.accountId);

  test('reads its own stack’s state, writes nothing', async () => {
    const own = `${bucket}/${target.stateKey}`;
    await expect(evaluate(identity, { action: 's3:GetObject', resource: own, resourcePolicy, resourceAccount, context: TLS })).resolves.toBe('Allowed');
    await expect(evaluate(identity, { action: 's3:PutObject', resource: own, resourcePolicy, resourceAccount, context: TLS })).resolves.not.toBe('Allowed');
  });

  test('never another stack’s state', async () => {
    for (const resource of [...envs.map(stateOf), ...bootstrapStates.filter((s) => !s.endsWith(`/${target.stateKey}`))]) {
      const decision = await evaluate(identity, { action: 's3:GetObject', resource, resourcePolicy, resourceAccount, context: TLS });
      expect({ resource, decision }).toEqual({ resource, decision: expect.not.stringMatching(/^Allowed$/) });
    }
  });
});
