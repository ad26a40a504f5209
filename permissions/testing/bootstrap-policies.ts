/**
 * Test helper: the deploy roles' policies as the bootstrap stacks synthesize them, ready for
 * permissions/evaluate.ts. Reads the synthesized JSON (not the TypeScript that builds it), so what
 * is judged is what Terraform would apply.
 */
import { platformConfig } from '../../config/environments';
import type { EnvironmentConfig } from '../../config/types';
import { deployRoleNames, roleArn } from '../../stacks/bootstrap/deploy-roles';
import { roleBoundaryName } from '../../stacks/bootstrap/role-boundary';
import { bootstrapStackName } from '../../stacks/stack-names';
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
  return { arn: roleArn(env.accountId, deployRoleNames(env).apply), policies: [{ name: 'manage-billing-stack', document: inlinePolicyOf(env, 'apply') }] };
}

/** The synthesized permissions boundary of `env`. */
export function boundaryDocument(env: EnvironmentConfig): PolicyDocument {
  const found = [...resourcesOf(stackOf(env), 'aws_iam_policy').values()].filter((p) => p.name === roleBoundaryName(env));
  if (found.length !== 1) throw new Error(`expected one boundary policy ${roleBoundaryName(env)}, found ${found.length}`);
  return JSON.parse(String(found[0].policy)) as PolicyDocument;
}
