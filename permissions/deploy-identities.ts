/**
 * The deploy roles of one environment as the synthesized bootstrap stacks define them: each role's
 * inline policies and, when it has one, its permissions boundary, read from the Terraform JSON (so
 * the checks judge what would be applied, not a copy of deploy-roles.ts). A role whose policies
 * cannot be read (an attached managed policy, a boundary that is not a policy of the stack) is an
 * error naming it, never an identity with fewer permissions than production.
 */
import { deployRoleNames, roleArn } from '../stacks/bootstrap/deploy-roles';
import type { Identity, PolicyDocument } from './evaluate';

type Json = Record<string, unknown>;

export type DeployRole = 'plan' | 'apply' | 'usageJob';

export interface SynthesizedJson {
  readonly json: Json;
}

function objectAt(value: unknown): Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}

function parsePolicy(text: unknown, where: string): PolicyDocument {
  if (typeof text !== 'string') throw new Error(`${where}: policy is not a literal JSON string`);
  return JSON.parse(text) as PolicyDocument;
}

/** The role named `roleName` in any of the stacks, as an evaluator identity. */
export function identityFromStacks(stacks: ReadonlyMap<string, SynthesizedJson>, accountId: string, roleName: string): Identity {
  for (const [stackName, { json }] of stacks) {
    const resources = objectAt(json.resource);
    const roles = objectAt(resources.aws_iam_role);
    const found = Object.entries(roles).find(([, body]) => objectAt(body).name === roleName);
    if (found === undefined) continue;
    const [id, body] = found;
    const role = objectAt(body);
    const ref = (attr: string) => `\${aws_iam_role.${id}.${attr}}`;
    const where = `${stackName}/aws_iam_role.${id}`;
    if (role.managed_policy_arns !== undefined || role.inline_policy !== undefined) {
      throw new Error(`${where}: managed_policy_arns/inline_policy are not read by permissions/deploy-identities.ts`);
    }
    for (const [attachmentId, attachment] of Object.entries(objectAt(resources.aws_iam_role_policy_attachment))) {
      const target = objectAt(attachment).role;
      if (target === ref('name') || target === ref('id') || target === roleName) {
        throw new Error(
          `${stackName}/aws_iam_role_policy_attachment.${attachmentId}: attached policies of ${roleName} are not read by permissions/deploy-identities.ts`,
        );
      }
    }
    const policies = Object.entries(objectAt(resources.aws_iam_role_policy))
      .filter(([, p]) => [ref('name'), ref('id'), roleName].includes(objectAt(p).role as string))
      .map(([policyId, p]) => ({
        name: String(objectAt(p).name ?? policyId),
        document: parsePolicy(objectAt(p).policy, `${stackName}/aws_iam_role_policy.${policyId}`),
      }));
    const boundaryRef = role.permissions_boundary;
    let boundary: PolicyDocument | undefined;
    if (boundaryRef !== undefined) {
      const match = /^\$\{aws_iam_policy\.([^.]+)\.arn\}$/.exec(String(boundaryRef));
      const policy = match === null ? undefined : objectAt(objectAt(resources.aws_iam_policy)[match[1]]);
      if (policy === undefined) throw new Error(`${where}: permissions_boundary ${String(boundaryRef)} is not an aws_iam_policy of the stack`);
      boundary = parsePolicy(policy.policy, `${stackName}/aws_iam_policy.${match?.[1]}`);
    }
    return { arn: roleArn(accountId, roleName), policies, ...(boundary ? { boundary } : {}) };
  }
  throw new Error(`no synthesized stack defines the role ${roleName}`);
}

/** The plan, apply or usage-job role of an environment. */
export function deployIdentity(
  stacks: ReadonlyMap<string, SynthesizedJson>,
  env: { readonly prefix: string; readonly accountId: string },
  role: DeployRole,
): Identity {
  return identityFromStacks(stacks, env.accountId, deployRoleNames(env)[role]);
}
