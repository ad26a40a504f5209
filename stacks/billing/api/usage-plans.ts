/**
 * One usage plan per configured plan (monthly quota and throttle, on the API's stage). Customers'
 * API keys and their bindings to these plans are not Terraform's: the keys CLI makes them
 * (docs/keys.md), so this stack has the same resources at 10 and at 10,000 customers.
 *
 * Migration: the keys the stack used to create (one `aws_api_gateway_api_key` and one
 * `aws_api_gateway_usage_plan_key` per former `apiKeys` entry) are forgotten, not destroyed, with
 * `removed { from = <address>  lifecycle { destroy = false } }` blocks
 * (https://developer.hashicorp.com/terraform/language/block/removed, Terraform 1.7+). A removed
 * block takes a resource address without instance keys; each former key was its own resource, so
 * each gets its own block. A block whose address is not in the state plans nothing.
 */
import { Construct } from 'constructs';
import { TerraformStack } from 'cdktf';
import { ApiGatewayUsagePlan } from '@cdktf/provider-aws/lib/api-gateway-usage-plan';
import type { EnvironmentConfig } from '../../../config/types';

/** The construct id the billing stack gives this construct; part of every plan's (and former key's) address. */
export const USAGE_PLANS_ID = 'keys';

export class UsagePlans extends Construct {
  /** Addresses of the former Terraform-managed keys and bindings this stack forgets (removed blocks). */
  readonly formerKeyAddresses: readonly string[];
  /** The usage plans by configured name. */
  readonly plans: ReadonlyMap<string, { readonly plan: ApiGatewayUsagePlan; readonly monthlyQuota: number }>;

  constructor(scope: Construct, id: string, props: { readonly env: EnvironmentConfig; readonly restApiId: string; readonly stageName: string }) {
    super(scope, id);
    const { env } = props;
    const plans = new Map<string, { plan: ApiGatewayUsagePlan; monthlyQuota: number }>();
    for (const [name, plan] of Object.entries(env.usagePlans)) {
      plans.set(name, {
        plan: new ApiGatewayUsagePlan(this, `plan-${name}`, {
          name: `${env.prefix}-${name}`,
          description: `${plan.monthlyQuota} requests a month (UTC), ${plan.rateLimit} rps, burst ${plan.burstLimit}`,
          apiStages: [{ apiId: props.restApiId, stage: props.stageName }],
          quotaSettings: { limit: plan.monthlyQuota, period: 'MONTH' },
          throttleSettings: { rateLimit: plan.rateLimit, burstLimit: plan.burstLimit },
        }),
        monthlyQuota: plan.monthlyQuota,
      });
    }
    this.plans = plans;
    this.formerKeyAddresses = (env.formerTerraformKeyIds ?? []).flatMap((keyId) => this.formerAddresses(keyId));
    if (this.formerKeyAddresses.length > 0) {
      TerraformStack.of(this).addOverride(
        'removed',
        this.formerKeyAddresses.map((from) => ({ from, lifecycle: { destroy: false } })),
      );
      // `removed` blocks arrived in Terraform 1.7; an older CLI would stop at "Unsupported block
      // type" instead of saying which version it needs.
      TerraformStack.of(this).addOverride('terraform.required_version', '>= 1.7.0');
    }
  }

  /**
   * The Terraform addresses the stack gave a former key: construct ids `key-<id>` and
   * `plan-key-<id>` under this construct, named as cdktf names every resource (the stack's logical
   * id of the construct path). The plain constructs made here synthesize nothing.
   */
  private formerAddresses(keyId: string): string[] {
    const stack = TerraformStack.of(this);
    return [
      ['aws_api_gateway_api_key', `key-${keyId}`],
      ['aws_api_gateway_usage_plan_key', `plan-key-${keyId}`],
    ].map(([type, constructId]) => `${type}.${stack.getLogicalId(new Construct(this, constructId).node)}`);
  }
}
