/**
 * The bootstrap stacks the drift workflow plans, as one JSON line for a job output and a matrix:
 *
 *   npm run --silent delivery:bootstrap-targets
 *   [{"stack":"bootstrap","accountId":"333333333333","roleArn":"arn:aws:iam::333333333333:role/ubb-github-bootstrap-drift",
 *     "region":"eu-west-1","stackDir":"cdktf.out/stacks/bootstrap"}, ...]
 *
 * One per account (the tooling account's first), each with the read-only role of that account
 * (stacks/bootstrap/bootstrap-drift-role.ts). Runs in the workflow's build job, without
 * credentials; the role ARNs come from the configuration, so no repository variable is needed.
 */
import { platformConfig } from '../config/environments';
import type { PlatformConfig } from '../config/types';
import { bootstrapDriftTargets } from '../stacks/bootstrap/bootstrap-drift-role';

export interface BootstrapDriftJob {
  readonly stack: string;
  readonly accountId: string;
  readonly roleArn: string;
  readonly region: string;
  readonly stackDir: string;
}

export function bootstrapDriftJobs(config: Pick<PlatformConfig, 'bootstrap' | 'environments'>): BootstrapDriftJob[] {
  return bootstrapDriftTargets(config).map((t) => ({
    stack: t.stack,
    accountId: t.accountId,
    roleArn: t.roleArn,
    region: config.bootstrap.region,
    stackDir: `cdktf.out/stacks/${t.stack}`,
  }));
}

if (require.main === module) process.stdout.write(`${JSON.stringify(bootstrapDriftJobs(platformConfig))}\n`);
