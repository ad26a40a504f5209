/**
 * Test helper: the billing stack's usage plans (usage-plans.ts, construct id `keys` as in the
 * billing stack) on a minimal REST API, in two shapes:
 * - `before`: keys as Terraform resources, exactly as the billing stack made them until keys became
 *   registry data (one `aws_api_gateway_api_key` `key-<id>` and one `aws_api_gateway_usage_plan_key`
 *   `plan-key-<id>` under the usage plans' construct);
 * - `after`: the stack as it is now, whose `formerTerraformKeyIds` turn into removed blocks.
 * The migration test applies `before` against moto and plans `after`.
 */
import { App, TerraformStack, Testing } from 'cdktf';
import { ApiGatewayApiKey } from '@cdktf/provider-aws/lib/api-gateway-api-key';
import { ApiGatewayDeployment } from '@cdktf/provider-aws/lib/api-gateway-deployment';
import { ApiGatewayIntegration } from '@cdktf/provider-aws/lib/api-gateway-integration';
import { ApiGatewayMethod } from '@cdktf/provider-aws/lib/api-gateway-method';
import { ApiGatewayRestApi } from '@cdktf/provider-aws/lib/api-gateway-rest-api';
import { ApiGatewayStage } from '@cdktf/provider-aws/lib/api-gateway-stage';
import { ApiGatewayUsagePlanKey } from '@cdktf/provider-aws/lib/api-gateway-usage-plan-key';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { platformConfig } from '../../../../config/environments';
import type { EnvironmentConfig } from '../../../../config/types';
import { asObject, type SynthesizedStack } from '../../../testing/synth-platform';
import { UsagePlans, USAGE_PLANS_ID } from '../usage-plans';

export interface FormerKey {
  readonly id: string;
  readonly customer: string;
  readonly plan: string;
}

export const MIGRATION_PREFIX = 'ubb-migration';

export function synthKeysMigration(shape: 'before' | 'after', keys: readonly FormerKey[]): SynthesizedStack {
  const base = platformConfig.environments[0];
  const env: EnvironmentConfig = {
    ...base,
    name: 'migration',
    prefix: MIGRATION_PREFIX,
    formerTerraformKeyIds: shape === 'after' ? keys.map((k) => k.id) : [],
  };
  const app = new App();
  const stack = new TerraformStack(app, 'keys-migration');
  new AwsProvider(stack, 'aws', { region: env.region });
  const api = new ApiGatewayRestApi(stack, 'api', { name: `${env.prefix}-api` });
  const method = new ApiGatewayMethod(stack, 'method', {
    restApiId: api.id,
    resourceId: api.rootResourceId,
    httpMethod: 'GET',
    authorization: 'NONE',
    apiKeyRequired: true,
  });
  const integration = new ApiGatewayIntegration(stack, 'integration', {
    restApiId: api.id,
    resourceId: api.rootResourceId,
    httpMethod: method.httpMethod,
    type: 'MOCK',
  });
  const deployment = new ApiGatewayDeployment(stack, 'deployment', { restApiId: api.id, dependsOn: [method, integration] });
  const stage = new ApiGatewayStage(stack, 'stage', { restApiId: api.id, deploymentId: deployment.id, stageName: 'v1' });
  const plans = new UsagePlans(stack, USAGE_PLANS_ID, { env, restApiId: api.id, stageName: stage.stageName });
  if (shape === 'before') {
    // What stacks/billing/api/keys-and-plans.ts made per configured key before keys became registry data.
    for (const key of keys) {
      const plan = plans.plans.get(key.plan);
      if (plan === undefined) throw new Error(`no usage plan ${key.plan}`);
      const apiKey = new ApiGatewayApiKey(plans, `key-${key.id}`, { name: `${env.prefix}-${key.id}`, description: key.customer, enabled: true });
      new ApiGatewayUsagePlanKey(plans, `plan-key-${key.id}`, { keyId: apiKey.id, keyType: 'API_KEY', usagePlanId: plan.plan.id });
    }
  }
  const text = Testing.synth(stack);
  return { stack, text, json: asObject(JSON.parse(text)) };
}
