/**
 * Read-back of a bootstrap stack beyond the shared bucket and policy checks: the state bucket (in
 * the state account), the GitHub OIDC provider and each environment's plan, apply and usage-job
 * roles trusted through it.
 */
import { GetOpenIDConnectProviderCommand, GetRoleCommand, ListOpenIDConnectProvidersCommand } from '@aws-sdk/client-iam';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import type { EnvironmentConfig, PlatformConfig } from '../config/types';
import { deployRoleNames, GITHUB_OIDC_HOST } from '../stacks/bootstrap/deploy-roles';
import { SESSION_SECONDS } from '../stacks/bootstrap/session-limits';
import type { AwsClients } from './aws-clients';
import { decodePolicy } from './read-back-common';
import type { Findings } from './findings';

export async function readBackBootstrap(config: PlatformConfig, accountId: string, aws: AwsClients, f: Findings): Promise<void> {
  const environments: EnvironmentConfig[] = config.environments.filter((e) => e.accountId === accountId);
  if (accountId === config.bootstrap.accountId) {
    await f.read(`state bucket ${config.bootstrap.stateBucket}`, () => aws.s3.send(new HeadBucketCommand({ Bucket: config.bootstrap.stateBucket })));
  }
  if (environments.length === 0) return;
  const providers = await f.read('OIDC providers', () => aws.iam.send(new ListOpenIDConnectProvidersCommand({})));
  const arns = (providers?.OpenIDConnectProviderList ?? []).map((p) => p.Arn ?? '');
  f.equal('OIDC providers', arns, [`arn:aws:iam::${accountId}:oidc-provider/${GITHUB_OIDC_HOST}`]);
  const provider = await f.read('GitHub OIDC provider', () => aws.iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arns[0] ?? '' })));
  f.equal('GitHub OIDC provider audience', provider?.ClientIDList, ['sts.amazonaws.com']);
  f.that('GitHub OIDC provider URL', provider?.Url !== undefined && provider.Url.replace(/^https:\/\//, '') === GITHUB_OIDC_HOST, provider?.Url);
  for (const env of environments) {
    for (const [kind, name] of Object.entries(deployRoleNames(env)) as [keyof ReturnType<typeof deployRoleNames>, string][]) {
      const role = await f.read(`${kind} role ${name}`, () => aws.iam.send(new GetRoleCommand({ RoleName: name })));
      const trust = decodePolicy(role?.Role?.AssumeRolePolicyDocument) as { Statement?: { Principal?: { Federated?: string } }[] } | undefined;
      f.equal(
        `${kind} role ${name} is trusted only through the OIDC provider (one statement per way it may be assumed)`,
        [...new Set(trust?.Statement?.map((s) => s.Principal?.Federated))],
        [arns[0]],
      );
      f.equal(`${kind} role ${name} session limit`, role?.Role?.MaxSessionDuration, SESSION_SECONDS[kind]);
    }
  }
}
