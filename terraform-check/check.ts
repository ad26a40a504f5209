/**
 * The engine check (docs/terraform-check.md): for every stack `npm run synth` produces, a test copy
 * that AWS provider 5.100.0 accepts (provider-rewrites.ts) and that moto can take
 * (moto-limitations.ts), then with the real terraform CLI against that stack's own moto server
 * (account id = the stack's allowed account): init from the local mirror, validate, plan, apply, a
 * second plan whose every diff a listed moto limitation explains, a read-back through the AWS SDK,
 * for billing stacks the usage job as the schedule runs it, destroy, and nothing left in moto.
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DeleteObjectsCommand, ListObjectVersionsCommand, type ObjectIdentifier } from '@aws-sdk/client-s3';
import { platformConfig } from '../config/environments';
import type { EnvironmentConfig, PlatformConfig } from '../config/types';
import { billingStackName, bootstrapStackName } from '../stacks/stack-names';
import { runSynth } from '../stacks/synth';
import { startMotoServer } from '../test-support/moto-server';
import { mapLimit } from '../usage-job/concurrency';
import { awsClients, type AwsClients } from './aws-clients';
import { Findings } from './findings';
import { findLeftovers, type Leftovers } from './leftovers';
import { adaptForMoto, attachesAwsManagedPolicy, type AdaptedLimitation } from './moto-limitations';
import { pointAtMoto } from './moto-provider';
import { cliConfiguration, type PluginMirror } from './plugin-mirror';
import {
  awsProviderSchema,
  LOCAL_AWS_PROVIDER_VERSION,
  rewriteForLocalProvider,
  unsupportedConstructs,
  unsupportedMessage,
  type AppliedRewrite,
  type ProviderSchema,
} from './provider-rewrites';
import { readBackBilling } from './read-back-billing';
import { readBackBootstrap } from './read-back-bootstrap';
import { readBackBuckets, readBackPolicies } from './read-back-common';
import { attributeSecondPlan, type PlanJson, type SecondPlanResult } from './second-plan';
import { changeSummary, terraform, type TerraformContext } from './terraform-cli';
import { blocksOf, cloneJson, isObject, referencedAddress, stackAccountId, stackRegion, type JsonObject } from './terraform-json';
import { priorStateResources, StateIndex } from './terraform-state';
import { runScheduledUsageJob, type UsageRunReport } from './usage-run';
import { readBackCustomers, revokeCustomers, seedCustomers, type SeededCustomer } from './seed-customers';
import { callsFromProviderLog } from './provider-log';
import {
  BOOTSTRAP_REFRESH_PHASES,
  bootstrapDriftIdentity,
  judgeCalls,
  phaseIdentity,
  recordingProblems,
  stackRoleBoundary,
  stackRolePaths,
  synthesizedStacks,
  verdictProblems,
  type PhaseVerdict,
} from './identity-check';
import { providerLogPath } from './terraform-cli';
import { resourceNames } from '../contracts/resource-names';

export interface CheckOptions {
  /** Everything the check writes goes here (synthesized stacks, test copies, logs, CLI config). */
  readonly workDir: string;
  readonly mirror: PluginMirror;
  /** Stacks checked at once (each has its own moto server). Default: all. */
  readonly concurrency?: number;
  /** Check only these stacks (default: every synthesized stack). */
  readonly only?: readonly string[];
  readonly config?: PlatformConfig;
  readonly progress?: (line: string) => void;
}

export interface StackReport {
  readonly stack: string;
  readonly accountId: string;
  readonly region: string;
  /** The product's provider requirement, e.g. "aws 6.25.0". */
  readonly productProvider: string;
  /** Constructs of the product's JSON that 5.100.0's schema does not have (the rewrites cover them). */
  readonly refusedWithoutRewrites: readonly string[];
  readonly rewrites: readonly AppliedRewrite[];
  readonly adaptations: readonly AdaptedLimitation[];
  readonly planned: number;
  readonly created: number;
  readonly secondPlan: SecondPlanResult;
  readonly readBack: { readonly checks: number; readonly policies: number; readonly buckets: readonly string[] };
  readonly usage?: UsageRunReport;
  readonly destroyed: number;
  readonly leftovers: Leftovers;
  /** Each phase's AWS calls judged under its production role, or counted (a bootstrap's apply and destroy). */
  readonly identities: readonly PhaseVerdict[];
  /** Wall seconds per step (reporting only). */
  readonly seconds: Readonly<Record<string, number>>;
}

export interface CheckReport {
  readonly stacks: readonly StackReport[];
  /** One line per failure, each naming its stack. Empty when the check passed. */
  readonly failures: readonly string[];
  readonly expectedStacks: readonly string[];
  readonly seconds: number;
}

class StepTimer {
  readonly seconds: Record<string, number> = {};
  async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const start = Date.now();
    try {
      return await fn();
    } finally {
      this.seconds[name] = Math.round((Date.now() - start) / 100) / 10;
    }
  }
}

/** The stacks `npm run synth` must produce for `config`: a bootstrap per account, a billing stack per environment. */
export function expectedStacks(config: PlatformConfig): string[] {
  const accounts = new Set([config.bootstrap.accountId, ...config.environments.map((e) => e.accountId)]);
  return [...[...accounts].map((a) => bootstrapStackName(a, config.bootstrap.accountId)), ...config.environments.map((e) => billingStackName(e.name))];
}

function terraformEnv(cliConfigFile: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('AWS_') || name.startsWith('TF_')) delete env[name];
  return { ...env, TF_CLI_CONFIG_FILE: cliConfigFile, TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1' };
}

async function showJson(ctx: TerraformContext, step: string, args: readonly string[]): Promise<unknown> {
  return JSON.parse((await terraform(ctx, step, ['show', '-json', ...args])).stdout) as unknown;
}

async function providerSchema(workDir: string, env: NodeJS.ProcessEnv): Promise<ProviderSchema> {
  const dir = join(workDir, 'schema');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'main.tf.json'),
    JSON.stringify({ terraform: { required_providers: { aws: { source: 'hashicorp/aws', version: LOCAL_AWS_PROVIDER_VERSION } } } }),
  );
  const ctx = { dir, env, stack: 'provider schema' };
  await terraform(ctx, 'init', ['init', '-input=false', '-no-color']);
  return awsProviderSchema(JSON.parse((await terraform(ctx, 'schema', ['providers', 'schema', '-json'])).stdout));
}

/** Deletes every object version and delete marker of a bucket, except the keys Terraform manages there. */
async function emptyBucket(aws: AwsClients, bucket: string, keep: ReadonlySet<string>): Promise<number> {
  let removed = 0;
  for (;;) {
    const listed = await aws.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: 1000 }));
    const ids: ObjectIdentifier[] = [...(listed.Versions ?? []), ...(listed.DeleteMarkers ?? [])]
      .filter((v) => v.Key !== undefined && !keep.has(v.Key))
      .map((v) => ({ Key: v.Key ?? '', VersionId: v.VersionId }));
    if (ids.length === 0) return removed;
    const result = await aws.s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: ids, Quiet: true } }));
    const refused = result.Errors ?? [];
    if (refused.length > 0) throw new Error(`emptying ${bucket}: ${refused.length} object versions not deleted (first: ${refused[0].Key}: ${refused[0].Code})`);
    removed += ids.length;
  }
}

interface StackContext {
  readonly name: string;
  readonly synthDir: string;
  readonly workDir: string;
  readonly schema: ProviderSchema;
  readonly env: NodeJS.ProcessEnv;
  readonly config: PlatformConfig;
  readonly progress: (line: string) => void;
}

async function checkStack(s: StackContext): Promise<StackReport> {
  const timer = new StepTimer();
  const dir = join(s.workDir, 'stacks', s.name);
  rmSync(dir, { recursive: true, force: true });
  cpSync(join(s.synthDir, 'stacks', s.name), dir, { recursive: true });
  const file = join(dir, 'cdk.tf.json');
  const stack = JSON.parse(readFileSync(file, 'utf8')) as JsonObject;
  const required = isObject(stack.terraform) && isObject(stack.terraform.required_providers) ? stack.terraform.required_providers.aws : undefined;
  const productProvider = `aws ${isObject(required) ? String(required.version) : '?'}`;
  const accountId = stackAccountId(stack);
  const region = stackRegion(stack);

  // What 5.100.0's own schema refuses in the product's JSON, then in the rewritten copy (must be nothing).
  const refusedWithoutRewrites = unsupportedConstructs(cloneJson(stack), s.schema);
  const rewrites = rewriteForLocalProvider(stack);
  const unsupported = unsupportedConstructs(stack, s.schema);
  if (unsupported.length > 0) throw new Error(unsupportedMessage(s.name, unsupported));
  const adaptations = adaptForMoto(stack);

  const managedPolicies = attachesAwsManagedPolicy(stack);
  const moto = await startMotoServer({ env: { MOTO_ACCOUNT_ID: accountId, ...(managedPolicies ? { MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' } : {}) } });
  try {
    const endpointChanges = pointAtMoto(stack, moto.endpoint);
    writeFileSync(file, `${JSON.stringify(stack, null, 2)}\n`);
    writeFileSync(join(dir, 'test-copy.json'), `${JSON.stringify({ rewrites, adaptations, endpoints: endpointChanges }, null, 2)}\n`);
    const ctx: TerraformContext = { dir, env: s.env, stack: s.name, recordCalls: true };
    s.progress(`${s.name}: account ${accountId}, moto at ${moto.endpoint}${managedPolicies ? ' (AWS managed policies loaded)' : ''}`);
    const environment: EnvironmentConfig | undefined = s.config.environments.find((e) => billingStackName(e.name) === s.name);
    const identities: PhaseVerdict[] = [];
    const identityProblems: string[] = [];
    // The deploy roles as synthesized (the product's JSON, not the test copy).
    const roleStacks = synthesizedStacks(s.synthDir, expectedStacks(s.config));
    const synthesized = JSON.parse(readFileSync(join(s.synthDir, 'stacks', s.name, 'cdk.tf.json'), 'utf8')) as JsonObject;
    const permissionsBoundary = stackRoleBoundary(synthesized, accountId);
    const rolePaths = stackRolePaths(synthesized);
    const callContext = (env: EnvironmentConfig) => ({
      account: accountId,
      rolePaths,
      athenaWorkgroup: resourceNames(env).athenaWorkgroup,
      ...(permissionsBoundary !== undefined ? { permissionsBoundary } : {}),
    });
    // A bootstrap stack has no environment (no Athena workgroup); its refresh reads no query.
    const bootstrapCallContext = { account: accountId, rolePaths, ...(permissionsBoundary !== undefined ? { permissionsBoundary } : {}) };
    const judge = async (phase: string): Promise<void> => {
      const calls = callsFromProviderLog(readFileSync(providerLogPath(ctx, phase), 'utf8'), providerLogPath(ctx, phase));
      if (environment === undefined && !BOOTSTRAP_REFRESH_PHASES.includes(phase)) {
        // Bootstrap apply and destroy are an administrator's (docs/platform.md): counted, not judged.
        const counted = {
          phase,
          identity: 'administrator (not judged)',
          calls: calls.length,
          requests: 0,
          denied: [],
          unmapped: [],
          recording: recordingProblems(phase, calls.length),
        };
        identities.push(counted);
        identityProblems.push(...verdictProblems(counted).map((line) => `${s.name}: ${line}`));
        return;
      }
      const verdict =
        environment === undefined
          ? await judgeCalls(phase, bootstrapDriftIdentity(s.name, synthesized, s.config, accountId), calls, bootstrapCallContext)
          : await judgeCalls(phase, phaseIdentity(roleStacks, environment, phase), calls, callContext(environment));
      identities.push(verdict);
      identityProblems.push(...verdictProblems(verdict).map((line) => `${s.name}: ${line}`));
      s.progress(`${s.name}: ${phase} as ${verdict.identity}: ${verdict.calls} calls, ${verdict.denied.length} denied, ${verdict.unmapped.length} unmapped`);
    };

    await timer.step('init', () => terraform(ctx, 'init', ['init', '-input=false', '-no-color']));
    await timer.step('validate', () => terraform(ctx, 'validate', ['validate', '-json', '-no-color']));
    const planRun = await timer.step('plan', () => terraform(ctx, 'plan', ['plan', '-input=false', '-json', '-out=tfplan']));
    const first = changeSummary(planRun.stdout);
    await judge('plan');
    const planned = first?.add ?? 0;
    if (first === undefined || first.change !== 0 || first.remove !== 0)
      throw new Error(`${s.name}: the first plan should only create, it plans ${JSON.stringify(first)}`);
    s.progress(`${s.name}: validate ok, plan: ${planned} to create`);

    const applied = await timer.step('apply', () => terraform(ctx, 'apply', ['apply', '-input=false', '-json', '-auto-approve', 'tfplan']));
    await judge('apply');
    const summary = changeSummary(applied.stdout);
    s.progress(`${s.name}: apply added ${summary?.add ?? '?'}`);

    // The second plan refreshes every resource from moto; its JSON also carries that refreshed state.
    const { secondPlan, state } = await timer.step('second plan', async () => {
      await terraform(ctx, 'plan-2', ['plan', '-input=false', '-json', '-detailed-exitcode', '-out=tfplan2'], [0, 2]);
      await judge('plan-2');
      const planJson = await showJson(ctx, 'show-plan-2', ['tfplan2']);
      return { secondPlan: attributeSecondPlan(planJson as PlanJson), state: priorStateResources(planJson) };
    });
    const created = state.length;
    if (summary?.add !== planned || created !== planned)
      throw new Error(`${s.name}: planned ${planned}, apply reported ${summary?.add ?? '?'} added, the state holds ${created}`);
    s.progress(
      `${s.name}: second plan: ${secondPlan.changed.length} resources with diffs, ${secondPlan.attributed.length} attributed, ${secondPlan.unexplained.length} unexplained`,
    );

    // From here on a problem does not stop the check: destroy and the sweep still run, and every
    // problem is reported at the end.
    const problems: string[] =
      secondPlan.unexplained.length > 0 ? [`${s.name}: second plan diffs no moto limitation explains:`, ...secondPlan.unexplained] : [];
    problems.push(...identityProblems.splice(0));
    const index = new StateIndex(state);
    const aws = awsClients(moto.endpoint, region);
    const findings = new Findings(s.name);
    let usage: UsageRunReport | undefined;
    const readBack = await timer.step('read-back', async () => {
      const buckets = await readBackBuckets(stack, index, aws, findings);
      const policies = await readBackPolicies(stack, index, aws, findings);
      if (environment !== undefined) {
        const billing = await readBackBilling(environment, stack, index, aws, findings);
        // Customers are registry data: the keys CLI makes them in what Terraform created, the job bills them.
        let customers: SeededCustomer[] = [];
        try {
          customers = await timer.step('keys CLI', () => seedCustomers(environment, moto.endpoint, dir));
          const planKeys = await readBackCustomers(environment, customers, billing.usagePlans, aws, findings);
          usage = await timer.step('usage job', () =>
            runScheduledUsageJob(
              environment,
              moto.endpoint,
              planKeys,
              customers.map((c) => c.id),
              dir,
            ),
          );
        } catch (error) {
          problems.push(`${s.name}: ${error instanceof Error ? error.message : String(error)}`);
        }
        try {
          // Their API Gateway keys are not Terraform's: revoked (deleted) before destroy, or they would be left behind.
          await revokeCustomers(environment, customers, moto.endpoint, dir);
        } catch (error) {
          problems.push(`${s.name}: ${error instanceof Error ? error.message : String(error)}`);
        }
        if (usage !== undefined) {
          const verdict = await judgeCalls('usage job', phaseIdentity(roleStacks, environment, 'usage job'), usage.calls, callContext(environment));
          identities.push(verdict);
          problems.push(...verdictProblems(verdict).map((line) => `${s.name}: ${line}`));
          s.progress(
            `${s.name}: usage job as ${verdict.identity}: ${verdict.calls} calls, ${verdict.denied.length} denied, ${verdict.unmapped.length} unmapped`,
          );
          const months = usage.months.length;
          const wrong = Object.entries(usage.metrics).filter(([name, value]) => (name === 'UsageJobHeartbeat' ? value !== months : value !== 0));
          findings.that(
            "usage job published every key's gauges (all zero on moto) and one heartbeat per month",
            wrong.length === 0,
            JSON.stringify(Object.fromEntries(wrong)),
          );
          findings.equal('usage job invoice lines (one per customer)', usage.invoiceLines, customers.length);
          findings.that('usage job reconciled with API Gateway GetUsage', usage.getUsageCalls > 0);
        }
      } else {
        await readBackBootstrap(s.config, accountId, aws, findings);
      }
      return { checks: findings.checks, policies, buckets };
    });
    problems.push(...findings.problems);
    s.progress(
      `${s.name}: read back ${readBack.checks} facts, ${findings.problems.length} not as configured${usage ? `; usage job ${usage.months.join(', ')}: exit 0, heartbeat ${String(usage.metrics.UsageJobHeartbeat)}` : ''}`,
    );

    // README "Cleanup": the log and usage buckets keep data on purpose (no force_destroy); empty them first.
    const managedKeys = new Map<string, Set<string>>();
    for (const b of blocksOf(stack)) {
      if (b.type !== 'aws_s3_object') continue;
      const bucketAddress = referencedAddress(b.body.bucket);
      const bucket = bucketAddress === undefined ? undefined : index.attribute(bucketAddress, 'bucket');
      if (bucket !== undefined && typeof b.body.key === 'string') managedKeys.set(bucket, new Set([...(managedKeys.get(bucket) ?? []), b.body.key]));
    }
    for (const bucket of readBack.buckets) await emptyBucket(aws, bucket, managedKeys.get(bucket) ?? new Set());

    const destroyed = await timer.step('destroy', async () => {
      // No third refresh: the second plan has just read every resource back, and nothing since
      // changed what Terraform manages (the usage job wrote objects into the usage bucket, emptied above).
      const run = await terraform(ctx, 'destroy', ['destroy', '-input=false', '-json', '-auto-approve', '-refresh=false']);
      return changeSummary(run.stdout)?.remove ?? -1;
    });
    await judge('destroy');
    problems.push(...identityProblems.splice(0));
    const remaining = (await terraform(ctx, 'state-list', ['state', 'list'])).stdout.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('data.'));
    if (destroyed !== created || remaining.length > 0) {
      problems.push(`${s.name}: created ${created}, destroy reported ${destroyed} destroyed, the state still holds ${remaining.join(', ') || 'nothing'}`);
    }
    const leftovers = await timer.step('leftovers', () => findLeftovers(moto.endpoint, region));
    if (leftovers.left.length > 0) problems.push(`${s.name}: left in moto after destroy: ${leftovers.left.join('; ')}`);
    s.progress(
      `${s.name}: destroyed ${destroyed}, ${leftovers.left.length === 0 ? 'nothing' : leftovers.left.length} left in moto${leftovers.scheduledForDeletion.length ? ` (${leftovers.scheduledForDeletion.length} secret in its recovery window)` : ''}`,
    );
    if (problems.length > 0) throw new Error(problems.join('\n'));

    return {
      stack: s.name,
      accountId,
      region,
      productProvider,
      refusedWithoutRewrites,
      rewrites,
      adaptations,
      planned,
      created,
      secondPlan,
      readBack,
      ...(usage !== undefined ? { usage } : {}),
      destroyed,
      leftovers,
      identities,
      seconds: timer.seconds,
    };
  } finally {
    await moto.stop();
  }
}

export async function runTerraformCheck(options: CheckOptions): Promise<CheckReport> {
  const started = Date.now();
  const config = options.config ?? platformConfig;
  const progress = options.progress ?? (() => undefined);
  const workDir = resolve(options.workDir);
  mkdirSync(workDir, { recursive: true });
  const cliConfigFile = join(workDir, 'terraform.rc');
  writeFileSync(cliConfigFile, cliConfiguration(options.mirror));
  const env = terraformEnv(cliConfigFile);

  const synthDir = join(workDir, 'synth');
  rmSync(synthDir, { recursive: true, force: true });
  const errors: string[] = [];
  const code = runSynth(config, { outdir: synthDir, backend: 'local', stderr: (line) => errors.push(line.trim()) });
  if (code !== 0)
    return { stacks: [], failures: errors.length > 0 ? errors : [`synth exited ${code}`], expectedStacks: [], seconds: (Date.now() - started) / 1000 };
  const synthesized = readdirSync(join(synthDir, 'stacks')).sort();
  const expected = expectedStacks(config);
  const failures: string[] = [];
  const missing = expected.filter((n) => !synthesized.includes(n));
  if (missing.length > 0) failures.push(`synth did not produce ${missing.join(', ')}`);
  progress(`synthesized ${synthesized.join(', ')}; provider ${LOCAL_AWS_PROVIDER_VERSION} from ${options.mirror.dir} (${options.mirror.foundBy})`);

  const selected = options.only === undefined ? synthesized : synthesized.filter((n) => options.only?.includes(n));
  const unknown = (options.only ?? []).filter((n) => !synthesized.includes(n));
  if (unknown.length > 0) failures.push(`no synthesized stack ${unknown.join(', ')} (known: ${synthesized.join(', ')})`);
  const schema = await providerSchema(workDir, env);
  const reports = await mapLimit(selected, options.concurrency ?? selected.length, async (name) => {
    try {
      return await checkStack({ name, synthDir, workDir, schema, env, config, progress });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      progress(`${name}: FAILED: ${message.split('\n')[0]}`);
      failures.push(...message.split('\n').map((line) => (line.startsWith(name) ? line : `${name}: ${line}`)));
      return undefined;
    }
  });
  return {
    stacks: reports.filter((r): r is StackReport => r !== undefined),
    failures,
    expectedStacks: options.only === undefined ? expected : expected.filter((n) => options.only?.includes(n)),
    seconds: Math.round((Date.now() - started) / 100) / 10,
  };
}
