/**
 * Migration of Terraform-managed keys to registry data, with real Terraform (AWS provider 5.100.0
 * from the local mirror) against moto: the usage plans with two keys as Terraform made them are
 * applied; then the stack as it is now (no key resources, `removed { lifecycle { destroy = false } }`
 * per former key and binding, stacks/billing/api/usage-plans.ts) is planned and applied. The plan
 * forgets the four resources and destroys nothing; both keys, with their values and plan bindings,
 * are still in API Gateway afterwards and no longer in the state; and the plan as the workflow shows
 * it (`terraform plan` and `terraform show` text, masked by `npm run plan:mask` with the plan's JSON,
 * delivery/plan-secrets.ts) holds neither key value, although the plan's JSON does.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetApiKeysCommand, GetUsagePlanKeysCommand, GetUsagePlansCommand } from '@aws-sdk/client-api-gateway';
import { MIGRATION_PREFIX, synthKeysMigration, type FormerKey } from '../stacks/billing/api/testing/keys-migration-stack';
import { REPO_ROOT } from '../stacks/shared/repo';
import { useMotoServer } from '../test-support/moto-server';
import { awsClients } from './aws-clients';
import { pointAtMoto } from './moto-provider';
import { cliConfiguration, findPluginMirror } from './plugin-mirror';
import { rewriteForLocalProvider } from './provider-rewrites';
import { terraform, type TerraformContext } from './terraform-cli';
import { isObject, type Json, type JsonObject } from './terraform-json';

const moto = useMotoServer();
const KEYS: readonly FormerKey[] = [
  { id: 'acme', customer: 'Acme Corp', plan: 'pro' },
  { id: 'globex', customer: 'Globex Inc', plan: 'basic' },
];

function stackJson(shape: 'before' | 'after'): JsonObject {
  const json = JSON.parse(synthKeysMigration(shape, KEYS).text) as JsonObject;
  rewriteForLocalProvider(json);
  pointAtMoto(json, moto.endpoint);
  return json;
}

interface Change {
  readonly address: string;
  readonly actions: readonly string[];
}

function changes(plan: Json): Change[] {
  if (!isObject(plan) || !Array.isArray(plan.resource_changes)) throw new Error('terraform show -json printed no resource_changes');
  return plan.resource_changes.map((rc) => {
    if (!isObject(rc) || !isObject(rc.change)) throw new Error('resource_changes entry without change');
    return { address: String(rc.address), actions: Array.isArray(rc.change.actions) ? rc.change.actions.map(String) : [] };
  });
}

/** `npm run plan:mask` as the terraform-plan action runs it: secrets from the plan's JSON, text masked. */
function masked(dir: string, textFile: string): string {
  const r = spawnSync('npm', ['run', '--silent', 'plan:mask', '--', '--secrets-from', join(dir, 'plan.json'), join(dir, textFile)], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`plan:mask failed: ${r.stderr}`);
  return r.stdout;
}

describe('keys leave Terraform without being destroyed (terraform + provider 5.100.0 against moto)', () => {
  let dir = '';
  let ctx: TerraformContext;

  beforeAll(() => {
    const mirror = findPluginMirror();
    if (typeof mirror === 'string') throw new Error(mirror);
    dir = mkdtempSync(join(tmpdir(), 'keys-migration-'));
    writeFileSync(join(dir, 'terraform.rc'), cliConfiguration(mirror));
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of Object.keys(env)) if (name.startsWith('AWS_') || name.startsWith('TF_')) delete env[name];
    ctx = {
      dir,
      stack: 'keys-migration',
      env: { ...env, TF_CLI_CONFIG_FILE: join(dir, 'terraform.rc'), TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1' },
    };
  });
  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('plans forget (no destroy) for every former key and binding; the keys keep their values and plans; the masked plan shows no value', async () => {
    const aws = awsClients(moto.endpoint, 'eu-west-1');
    const liveKeys = async () =>
      ((await aws.apiGateway.send(new GetApiKeysCommand({ includeValues: true, limit: 500 }))).items ?? []).filter((k) =>
        k.name?.startsWith(`${MIGRATION_PREFIX}-`),
      );
    const bindings = async () => {
      const plans = (await aws.apiGateway.send(new GetUsagePlansCommand({ limit: 500 }))).items ?? [];
      const out: string[] = [];
      for (const p of plans) {
        const keys = (await aws.apiGateway.send(new GetUsagePlanKeysCommand({ usagePlanId: p.id ?? '', limit: 500 }))).items ?? [];
        for (const k of keys) out.push(`${p.name} <- ${k.name}`);
      }
      return out.sort();
    };

    // Before: keys as Terraform resources.
    writeFileSync(join(dir, 'cdk.tf.json'), JSON.stringify(stackJson('before'), null, 2));
    await terraform(ctx, 'init', ['init', '-input=false', '-no-color']);
    await terraform(ctx, 'apply-before', ['apply', '-input=false', '-auto-approve', '-no-color']);
    const before = await liveKeys();
    expect(before.map((k) => k.name).sort()).toEqual([`${MIGRATION_PREFIX}-acme`, `${MIGRATION_PREFIX}-globex`]);
    const values = before.map((k) => k.value ?? '');
    for (const v of values) expect(v.length).toBeGreaterThanOrEqual(20);
    const boundBefore = await bindings();
    expect(boundBefore).toEqual([`${MIGRATION_PREFIX}-basic <- ${MIGRATION_PREFIX}-globex`, `${MIGRATION_PREFIX}-pro <- ${MIGRATION_PREFIX}-acme`]);

    // After: the stack as it is now.
    writeFileSync(join(dir, 'cdk.tf.json'), JSON.stringify(stackJson('after'), null, 2));
    const planRun = await terraform(ctx, 'plan-after', ['plan', '-input=false', '-no-color', '-out=after.tfplan']);
    writeFileSync(join(dir, 'plan.txt'), planRun.stdout);
    const json = (await terraform(ctx, 'show-json', ['show', '-json', 'after.tfplan'])).stdout;
    writeFileSync(join(dir, 'plan.json'), json);
    writeFileSync(join(dir, 'show.txt'), (await terraform(ctx, 'show-text', ['show', '-no-color', 'after.tfplan'])).stdout);

    const planned = changes(JSON.parse(json) as Json).filter((c) => c.actions.join() !== 'no-op');
    expect(planned.map((c) => [c.address, c.actions]).sort()).toEqual(
      [
        'aws_api_gateway_api_key.keys_key-acme_BF92F248',
        'aws_api_gateway_api_key.keys_key-globex_FED6771D',
        'aws_api_gateway_usage_plan_key.keys_plan-key-acme_54242C8B',
        'aws_api_gateway_usage_plan_key.keys_plan-key-globex_6D8B406F',
      ].map((address) => [address, ['forget']]),
    );
    expect(planRun.stdout).toContain('Plan: 0 to add, 0 to change, 0 to destroy.');

    // The plan's JSON carries the values (a forget's `before`): the masking is what keeps them out.
    for (const v of values) expect(json).toContain(v);
    for (const file of ['plan.txt', 'show.txt']) {
      const text = masked(dir, file);
      expect(text).toContain('will no longer be managed by Terraform');
      for (const v of values) expect(text).not.toContain(v);
    }

    await terraform(ctx, 'apply-after', ['apply', '-input=false', '-auto-approve', '-no-color', 'after.tfplan']);
    const state = (await terraform(ctx, 'state-list', ['state', 'list'])).stdout;
    expect(state).not.toMatch(/aws_api_gateway_(api_key|usage_plan_key)\./);
    const after = await liveKeys();
    expect(after.map((k) => [k.name, k.value, k.enabled]).sort()).toEqual(before.map((k) => [k.name, k.value, true]).sort());
    expect(await bindings()).toEqual(boundBefore);

    // Once forgotten, the removed blocks plan nothing: they can stay until every state is migrated.
    const again = await terraform(ctx, 'plan-again', ['plan', '-input=false', '-no-color', '-detailed-exitcode'], [0, 2]);
    expect(again.stdout).toContain('No changes.');
  });
});
