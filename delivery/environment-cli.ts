/**
 * Tells a workflow job what it needs to know about one deployed environment, from the typed
 * configuration (config/environments.ts), as `key=value` lines for $GITHUB_OUTPUT:
 *
 *   npm run --silent delivery:env -- prod >> "$GITHUB_OUTPUT"
 *   environment=prod
 *   stack=billing-prod
 *   stack_dir=cdktf.out/stacks/billing-prod
 *   region=eu-west-1
 *   account_id=222222222222
 *   vars_suffix=PROD            (repository variables are named e.g. AWS_PLAN_ROLE_ARN_PROD)
 *   usage_bucket=ubb-prod-usage-222222222222   (rollups, the usage-job deployment file, invoices)
 *
 * An unknown name exits 2 with the list of known environments.
 */
import { resourceNames } from '../contracts/resource-names';
import { platformConfig } from '../config/environments';
import { billingStackName } from '../stacks/stack-names';

export interface EnvironmentInfo {
  readonly environment: string;
  readonly stack: string;
  readonly stack_dir: string;
  readonly region: string;
  readonly account_id: string;
  readonly vars_suffix: string;
  readonly usage_bucket: string;
}

export function deployedEnvironmentNames(): string[] {
  return platformConfig.environments.map((e) => e.name);
}

/** Suffix of the per-environment repository variables: dev -> DEV, eu-test -> EU_TEST. */
export function varsSuffix(environment: string): string {
  return environment.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

export function environmentInfo(name: string): EnvironmentInfo {
  const env = platformConfig.environments.find((e) => e.name === name);
  if (!env) {
    throw new Error(`unknown environment "${name}"; deployed environments are ${deployedEnvironmentNames().join(', ')}`);
  }
  const stack = billingStackName(env.name);
  return {
    environment: env.name,
    stack,
    stack_dir: `cdktf.out/stacks/${stack}`,
    region: env.region,
    account_id: env.accountId,
    vars_suffix: varsSuffix(env.name),
    usage_bucket: resourceNames(env).usageBucket,
  };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  if (args.length === 1 && args[0] === '--list') {
    process.stdout.write(`${JSON.stringify(deployedEnvironmentNames())}\n`);
  } else if (args.length !== 1) {
    process.stderr.write('usage: delivery:env -- NAME | --list\n');
    process.exitCode = 2;
  } else {
    try {
      const info = environmentInfo(args[0]);
      process.stdout.write(
        Object.entries(info)
          .map(([k, v]) => `${k}=${v}\n`)
          .join(''),
      );
    } catch (error) {
      process.stderr.write(`delivery:env: ${(error as Error).message}\n`);
      process.exitCode = 2;
    }
  }
}
