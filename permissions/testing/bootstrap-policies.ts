/**
 * Test helper: the deploy roles' policies as the bootstrap stacks synthesize them, ready for
 * permissions/evaluate.ts. Reads the synthesized JSON (not the TypeScript that builds it), so what
 * is judged is what Terraform would apply.
 */
import { platformConfig } from '../../config/environments';
import type { EnvironmentConfig } from '../../config/types';
import { bootstrapDriftRoleName, deployRoleNames, roleArn } from '../../stacks/bootstrap/deploy-roles';
import { roleBoundaryName } from '../../stacks/bootstrap/role-boundary';
import { BOOTSTRAP_STACK, bootstrapStackName } from '../../stacks/stack-names';
import { resourcesOf, synthPlatform } from '../../stacks/testing/synth-platform';
import type { SynthesizedStack } from '../../stacks/testing/synth-platform';
import type { Identity, PolicyDocument } from '../evaluate';

export const stacks: ReadonlyMap<string, SynthesizedStack> = synthPlatform(platformConfig, 'local');

function stackOf(env: EnvironmentConfig): SynthesizedStack {
  const name = bootstrapStackName(env.accountId, platformConfig.bootstrap.accountId);
  const synth = stacks.get(name);
  if (synth === undefined) throw new Error(`no bootstrap stack ${name} for environment ${env.name}`);
  return synth;
}

/** The inline policy of one deploy role (matched on the role's Terraform reference, e.g. roles-dev_apply_). */
function inlinePolicyOf(env: EnvironmentConfig, kind: 'plan' | 'apply' | 'usage-job'): PolicyDocument {
  const found = [...resourcesOf(stackOf(env), 'aws_iam_role_policy').values()].filter((p) =>
    String(p.role).includes(`aws_iam_role.roles-${env.name}_${kind}_`),
  );
  if (found.length !== 1) throw new Error(`expected one inline policy of the ${env.name} ${kind} role, found ${found.length}`);
  return JSON.parse(String(found[0].policy)) as PolicyDocument;
}

/** The apply role of `env` with its synthesized inline policy. */
export function applyIdentity(env: EnvironmentConfig): Identity {
  return deployIdentity(env, 'apply');
}

/** One deploy role of `env` with its synthesized inline policy. */
export function deployIdentity(env: EnvironmentConfig, kind: 'plan' | 'apply' | 'usage-job'): Identity {
  const names = deployRoleNames(env);
  const name = kind === 'plan' ? names.plan : kind === 'apply' ? names.apply : names.usageJob;
  return { arn: roleArn(env.accountId, name), policies: [{ name: kind, document: inlinePolicyOf(env, kind) }] };
}

/** The drift role of one bootstrap stack with its synthesized inline policy. */
export function bootstrapDriftIdentity(stackName: string, accountId: string): Identity {
  const synth = stacks.get(stackName);
  if (synth === undefined) throw new Error(`no bootstrap stack ${stackName}`);
  const found = [...resourcesOf(synth, 'aws_iam_role_policy').values()].filter((p) => String(p.role).includes('aws_iam_role.bootstrap-drift_role_'));
  if (found.length !== 1) throw new Error(`expected one drift role policy in ${stackName}, found ${found.length}`);
  return {
    arn: roleArn(accountId, bootstrapDriftRoleName(platformConfig)),
    policies: [{ name: 'drift', document: JSON.parse(String(found[0].policy)) as PolicyDocument }],
  };
}

/** The state bucket's policy, from the tooling account's bootstrap stack. */
export function stateBucketPolicy(): PolicyDocument {
  const synth = stacks.get(BOOTSTRAP_STACK);
  if (synth === undefined) throw new Error(`no stack ${BOOTSTRAP_STACK}`);
  const found = [...resourcesOf(synth, 'aws_s3_bucket_policy').values()];
  if (found.length !== 1) throw new Error(`expected one bucket policy in ${BOOTSTRAP_STACK}, found ${found.length}`);
  return JSON.parse(String(found[0].policy)) as PolicyDocument;
}

/** The synthesized permissions boundary of `env`. */
export function boundaryDocument(env: EnvironmentConfig): PolicyDocument {
  const found = [...resourcesOf(stackOf(env), 'aws_iam_policy').values()].filter((p) => p.name === roleBoundaryName(env));
  if (found.length !== 1) throw new Error(`expected one boundary policy ${roleBoundaryName(env)}, found ${found.length}`);
  return JSON.parse(String(found[0].policy)) as PolicyDocument;
}
