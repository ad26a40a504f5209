/**
 * The regional REST API behind CloudFront: the routes of lambdas/routes.ts as Lambda proxy
 * integrations, an API key required on every method, a deployment replaced whenever the API
 * definition changes (triggers + create_before_destroy, as the provider documents for
 * aws_api_gateway_deployment), and a stage with default throttling on every method.
 * https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/api_gateway_deployment
 */
import { Construct } from 'constructs';
import { createHash } from 'node:crypto';
import { Fn } from 'cdktf';
import type { ITerraformDependable } from 'cdktf';
import { ApiGatewayDeployment } from '@cdktf/provider-aws/lib/api-gateway-deployment';
import { ApiGatewayIntegration } from '@cdktf/provider-aws/lib/api-gateway-integration';
import { ApiGatewayMethod } from '@cdktf/provider-aws/lib/api-gateway-method';
import { ApiGatewayMethodSettings } from '@cdktf/provider-aws/lib/api-gateway-method-settings';
import { ApiGatewayResource } from '@cdktf/provider-aws/lib/api-gateway-resource';
import { ApiGatewayRestApi } from '@cdktf/provider-aws/lib/api-gateway-rest-api';
import { ApiGatewayStage } from '@cdktf/provider-aws/lib/api-gateway-stage';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { ROUTES } from '../../../lambdas/routes';

/** The routes of lambdas/routes.ts as API Gateway sees them: a path part under the root. */
export const API_ROUTES = ROUTES.map((r) => ({
  path: r.path.replace(/^\//, ''),
  method: r.method,
  handler: r.name,
  apiKeyRequired: r.apiKeyRequired !== false,
  ...(r.throttle !== undefined ? { throttle: r.throttle } : {}),
}));

export const STAGE_NAME = 'v1';

export interface RestApiProps {
  readonly prefix: string;
  readonly region: string;
  readonly functions: ReadonlyMap<string, LambdaFunction>;
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
}

export class RestApi extends Construct {
  readonly api: ApiGatewayRestApi;
  readonly stage: ApiGatewayStage;
  /** Host name of the API's execute-api endpoint (CloudFront's origin). */
  readonly domainName: string;

  constructor(scope: Construct, id: string, props: RestApiProps) {
    super(scope, id);
    this.api = new ApiGatewayRestApi(this, 'api', {
      name: `${props.prefix}-api`,
      description: 'Metered API; reached through CloudFront, which adds the origin secret',
      apiKeySource: 'HEADER',
      endpointConfiguration: { types: ['REGIONAL'] },
      // A replacement (rare: name or endpoint type change) brings the new API up before the old
      // one goes, so CloudFront's origin is never left pointing at nothing.
      lifecycle: { createBeforeDestroy: true },
    });

    const definition: string[] = [];
    const parts: ITerraformDependable[] = [];
    for (const route of API_ROUTES) {
      const fn = props.functions.get(route.handler);
      if (fn === undefined)
        throw new Error(`route ${route.method} /${route.path} names handler "${route.handler}", which has no Lambda function (lambdas/routes.ts)`);
      const resource = new ApiGatewayResource(this, `${route.path}-resource`, {
        restApiId: this.api.id,
        parentId: this.api.rootResourceId,
        pathPart: route.path,
      });
      const method = new ApiGatewayMethod(this, `${route.path}-${route.method.toLowerCase()}`, {
        restApiId: this.api.id,
        resourceId: resource.id,
        httpMethod: route.method,
        authorization: 'NONE',
        // Only GET /usage goes without: usage plans count and throttle requests of key-required
        // methods only ("individual API methods ... require API key authorization based on usage
        // plan configuration", https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html),
        // so a lookup uses no quota; its handler authenticates the key (lambdas/handlers/usage.ts).
        apiKeyRequired: route.apiKeyRequired,
      });
      const integration = new ApiGatewayIntegration(this, `${route.path}-${route.method.toLowerCase()}-integration`, {
        restApiId: this.api.id,
        resourceId: resource.id,
        httpMethod: method.httpMethod,
        type: 'AWS_PROXY',
        integrationHttpMethod: 'POST',
        uri: fn.invokeArn,
      });
      new LambdaPermission(this, `${route.path}-${route.method.toLowerCase()}-permission`, {
        statementId: `api-${route.method.toLowerCase()}-${route.path}`,
        action: 'lambda:InvokeFunction',
        functionName: fn.functionName,
        principal: 'apigateway.amazonaws.com',
        sourceArn: `${this.api.executionArn}/*/${route.method}/${route.path}`,
      });
      definition.push(resource.id, method.id, integration.id, integration.uri);
      parts.push(method, integration);
    }

    const deployment = new ApiGatewayDeployment(this, 'deployment', {
      restApiId: this.api.id,
      description: 'Replaced whenever a resource, method or integration changes',
      triggers: {
        // Terraform-side: ids change when a resource, method or integration is replaced.
        redeployment: Fn.sha1(Fn.jsonencode(definition)),
        // Synthesis-side: the route table and method settings, so an in-place change counts too.
        definition: createHash('sha256')
          .update(JSON.stringify({ routes: API_ROUTES, integration: 'AWS_PROXY' }))
          .digest('hex'),
      },
      lifecycle: { createBeforeDestroy: true },
      dependsOn: parts,
    });
    this.stage = new ApiGatewayStage(this, 'stage', {
      restApiId: this.api.id,
      deploymentId: deployment.id,
      stageName: STAGE_NAME,
      description: 'Default throttling applies to every method; usage plans limit each key further',
    });
    new ApiGatewayMethodSettings(this, 'stage-throttling', {
      restApiId: this.api.id,
      stageName: this.stage.stageName,
      methodPath: '*/*',
      settings: {
        throttlingRateLimit: props.throttle.rateLimit,
        throttlingBurstLimit: props.throttle.burstLimit,
        // Detailed per-method metrics are billed as custom metrics; the API-level ones are free.
        metricsEnabled: false,
      },
    });
    // A keyless route has no usage plan to throttle it per key: a method-level throttle caps it for
    // all callers together (stage method settings, resourcePath/httpMethod;
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html).
    for (const route of API_ROUTES) {
      if (route.throttle === undefined) continue;
      new ApiGatewayMethodSettings(this, `${route.path}-${route.method.toLowerCase()}-throttling`, {
        restApiId: this.api.id,
        stageName: this.stage.stageName,
        methodPath: `${route.path}/${route.method}`,
        settings: { throttlingRateLimit: route.throttle.rateLimit, throttlingBurstLimit: route.throttle.burstLimit, metricsEnabled: false },
      });
    }
    this.domainName = `${this.api.id}.execute-api.${props.region}.amazonaws.com`;
  }
}
