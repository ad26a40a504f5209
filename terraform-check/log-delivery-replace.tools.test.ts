/**
 * Real Terraform (AWS provider 5.100.0 from the local mirror) against moto: the CloudFront log
 * delivery of stacks/billing/logs/access-logs.ts is applied, then its configuration changes (a record
 * field added; the suffix path changed) and Terraform plans a replacement of the delivery (delete,
 * then create), never an update. A state without the trigger (an environment applied before the
 * delivery became replace-only) fails the plan of a changed field list instead of ignoring it. Provider 6.25 (production) is not mirrored here; what this shows is
 * Terraform's own planning of replace_triggered_by and ignore_changes, which no provider overrides.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTRACT_DELIVERY_LAYOUT } from '../stacks/billing/logs/access-logs';
import type { DeliveryLayout } from '../stacks/billing/logs/access-logs';
import { BASE_SETUP, synthAccessLogs } from '../stacks/billing/logs/testing/access-logs-stack';
import { useMotoServer } from '../test-support/moto-server';
import { pointAtMoto } from './moto-provider';
import { cliConfiguration, findPluginMirror } from './plugin-mirror';
import { rewriteForLocalProvider } from './provider-rewrites';
import { terraform } from './terraform-cli';
import type { TerraformContext } from './terraform-cli';
import { isObject, type Json, type JsonObject } from './terraform-json';

const moto = useMotoServer();

function stackJson(layout: DeliveryLayout, endpoint: string): JsonObject {
  const json = JSON.parse(synthAccessLogs({ ...BASE_SETUP, layout }).text) as JsonObject;
  rewriteForLocalProvider(json);
  pointAtMoto(json, endpoint);
  return json;
}

interface ResourceChange {
  readonly address: string;
  readonly type: string;
  readonly actions: readonly string[];
}

function resourceChanges(plan: Json): ResourceChange[] {
  if (!isObject(plan) || !Array.isArray(plan.resource_changes)) throw new Error('terraform show -json printed no resource_changes');
  return plan.resource_changes.map((rc) => {
    if (!isObject(rc) || !isObject(rc.change)) throw new Error('resource_changes entry without change');
    return { address: String(rc.address), type: String(rc.type), actions: Array.isArray(rc.change.actions) ? rc.change.actions.map(String) : [] };
  });
}

describe('log delivery changes plan as replacements (terraform + provider 5.100.0 against moto)', () => {
  let dir = '';
  let ctx: TerraformContext;

  beforeAll(() => {
    const mirror = findPluginMirror();
    if (typeof mirror === 'string') throw new Error(mirror);
    dir = mkdtempSync(join(tmpdir(), 'log-delivery-replace-'));
    writeFileSync(join(dir, 'terraform.rc'), cliConfiguration(mirror));
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of Object.keys(env)) if (name.startsWith('AWS_') || name.startsWith('TF_')) delete env[name];
    ctx = {
      dir,
      stack: 'log-delivery',
      env: { ...env, TF_CLI_CONFIG_FILE: join(dir, 'terraform.rc'), TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1' },
    };
  });
  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  async function planFor(layout: DeliveryLayout, step: string): Promise<ResourceChange[]> {
    writeFileSync(join(dir, 'cdk.tf.json'), JSON.stringify(stackJson(layout, moto.endpoint), null, 2));
    await terraform(ctx, `${step}-plan`, ['plan', '-input=false', '-out=step.tfplan']);
    return resourceChanges(JSON.parse((await terraform(ctx, `${step}-show`, ['show', '-json', 'step.tfplan'])).stdout) as Json);
  }

  const delivery = (changes: readonly ResourceChange[]) => changes.filter((c) => c.type === 'aws_cloudwatch_log_delivery');

  it('applies the contract layout, then replaces the delivery for an added field and for a new suffix path', async () => {
    writeFileSync(join(dir, 'cdk.tf.json'), JSON.stringify(stackJson(CONTRACT_DELIVERY_LAYOUT, moto.endpoint), null, 2));
    await terraform(ctx, 'init', ['init', '-input=false', '-no-color']);
    await terraform(ctx, 'apply', ['apply', '-input=false', '-auto-approve', '-no-color']);
    expect(delivery(await planFor(CONTRACT_DELIVERY_LAYOUT, 'same')).map((c) => c.actions)).toEqual([['no-op']]);

    // An environment applied before the delivery became replace-only has no trigger in its state.
    // Creating the trigger replaces nothing, so a changed field list must fail the plan, loudly.
    const triggers = stackJson(CONTRACT_DELIVERY_LAYOUT, moto.endpoint).resource;
    const triggerNames = isObject(triggers) && isObject(triggers.terraform_data) ? Object.keys(triggers.terraform_data) : [];
    expect(triggerNames).toHaveLength(1);
    await terraform(ctx, 'forget-trigger', ['state', 'rm', `terraform_data.${triggerNames[0]}`]);
    const moreFields = { ...CONTRACT_DELIVERY_LAYOUT, recordFields: [...CONTRACT_DELIVERY_LAYOUT.recordFields, 'cs(Referer)'] };
    writeFileSync(join(dir, 'cdk.tf.json'), JSON.stringify(stackJson(moreFields, moto.endpoint), null, 2));
    const refused = await terraform(ctx, 'old-state-plan', ['plan', '-input=false', '-json'], [1]);
    expect(refused.stdout).toContain('predates the replace-only delivery');
    // Unchanged fields pass: the trigger is created and the delivery stays.
    expect(delivery(await planFor(CONTRACT_DELIVERY_LAYOUT, 'old-state-same')).map((c) => c.actions)).toEqual([['no-op']]);
    await terraform(ctx, 'old-state-apply', ['apply', '-input=false', '-no-color', 'step.tfplan']);

    // The normal path: the trigger is in the state, and a changed field list replaces the delivery.
    expect(delivery(await planFor(moreFields, 'field')).map((c) => c.actions)).toEqual([['delete', 'create']]);
    await terraform(ctx, 'field-apply', ['apply', '-input=false', '-no-color', 'step.tfplan']);

    const otherPath = { ...moreFields, suffixPath: '{DistributionId}/{yyyy}/{MM}/{dd}' };
    const changes = await planFor(otherPath, 'path');
    expect(delivery(changes).map((c) => c.actions)).toEqual([['delete', 'create']]);
    expect(changes.filter((c) => c.actions.includes('update')).map((c) => c.type)).toEqual(['terraform_data']);
  }, 600_000);
});
