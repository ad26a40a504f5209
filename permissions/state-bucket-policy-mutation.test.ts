/**
 * The state bucket policy is what lets each environment's roles reach their state across accounts
 * (the bucket is in the tooling account; issue 17, part 6). Removing any one of its Allow
 * statements must deny the request it exists for: otherwise state-apart.test.ts would be judging
 * the role policies alone, as if the bucket were in the caller's account. A cross-account request
 * needs both the identity policy and the resource policy to allow it
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html).
 */
import { platformConfig } from '../config/environments';
import { bootstrapDriftTargets } from '../stacks/bootstrap/bootstrap-drift-role';
import { stateKey } from '../stacks/shared/backend';
import { billingStackName } from '../stacks/stack-names';
import { evaluate, type AccessRequest, type Identity, type PolicyDocument } from './evaluate';
import { bootstrapDriftIdentity, deployIdentity, stateBucketPolicy } from './testing/bootstrap-policies';

interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
}

const bucket = `arn:aws:s3:::${platformConfig.bootstrap.stateBucket}`;
const resourceAccount = platformConfig.bootstrap.accountId;
const TLS = { 'aws:SecureTransport': 'true' };
const policy = stateBucketPolicy();
const statements = policy.Statement as readonly Statement[];

/** The request each Allow statement of the bucket policy exists for, by Sid. */
function requestsBySid(): Map<string, { readonly identity: Identity; readonly request: AccessRequest }[]> {
  const out = new Map<string, { readonly identity: Identity; readonly request: AccessRequest }[]>();
  for (const env of platformConfig.environments) {
    const id = env.name.replace(/[^A-Za-z0-9]/g, '');
    const key = stateKey(billingStackName(env.name));
    const plan = deployIdentity(env, 'plan');
    const apply = deployIdentity(env, 'apply');
    const list = (identity: Identity, prefix: string) => ({
      identity,
      request: { action: 's3:ListBucket', resource: bucket, context: { ...TLS, 's3:prefix': prefix } },
    });
    const object = (identity: Identity, action: string, resource: string) => ({ identity, request: { action, resource, context: TLS } });
    out.set(`List${id}`, [list(plan, key), list(apply, key), list(apply, `${key}.tflock`)]);
    out.set(`ApplyLock${id}`, [object(apply, 's3:PutObject', `${bucket}/${key}.tflock`), object(apply, 's3:DeleteObject', `${bucket}/${key}.tflock`)]);
    out.set(`PlanRead${id}`, [object(plan, 's3:GetObject', `${bucket}/${key}`)]);
    out.set(`ApplyWrite${id}`, [object(apply, 's3:GetObject', `${bucket}/${key}`), object(apply, 's3:PutObject', `${bucket}/${key}`)]);
  }
  for (const t of bootstrapDriftTargets(platformConfig).filter((t) => t.accountId !== resourceAccount)) {
    const drift = bootstrapDriftIdentity(t.stack, t.accountId);
    out.set(`BootstrapDriftList${t.accountId}`, [
      { identity: drift, request: { action: 's3:ListBucket', resource: bucket, context: { ...TLS, 's3:prefix': t.stateKey } } },
    ]);
    out.set(`BootstrapDriftRead${t.accountId}`, [{ identity: drift, request: { action: 's3:GetObject', resource: `${bucket}/${t.stateKey}`, context: TLS } }]);
  }
  return out;
}

const bySid = requestsBySid();
const allowSids = statements.filter((s) => s.Effect === 'Allow').map((s) => s.Sid ?? '(no Sid)');
const without = (sid: string): PolicyDocument => ({ ...policy, Statement: statements.filter((s) => s.Sid !== sid) });

test('every Allow statement of the bucket policy has the requests it exists for here', () => {
  expect(allowSids.filter((sid) => !bySid.has(sid))).toEqual([]);
  expect(allowSids.length).toBeGreaterThan(0);
});

describe.each(allowSids.filter((sid) => bySid.has(sid)).map((sid) => [sid] as const))('bucket policy statement %s', (sid) => {
  const cases = bySid.get(sid) ?? [];

  test('its requests are allowed with the policy as synthesized', async () => {
    for (const { identity, request } of cases) {
      const decision = await evaluate(identity, { ...request, resourcePolicy: policy, resourceAccount });
      expect({ who: identity.arn, ...request, decision }).toEqual({ who: identity.arn, ...request, decision: 'Allowed' });
    }
  });

  test('and denied once it is removed', async () => {
    for (const { identity, request } of cases) {
      const decision = await evaluate(identity, { ...request, resourcePolicy: without(sid), resourceAccount });
      expect({ who: identity.arn, ...request, decision }).toEqual({ who: identity.arn, ...request, decision: expect.not.stringMatching(/^Allowed$/) });
    }
  });
});
