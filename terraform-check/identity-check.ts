/**
 * Judges the AWS calls of each phase against the role that runs that phase in production
 * (docs/permissions.md): plan and the second plan (a drift or pull-request plan) under the plan
 * role, apply and destroy under the apply role, the usage job's run under the usage-job role. Every
 * call goes through the call map (permissions/call-map.ts) and the one evaluator
 * (permissions/evaluate.ts). A denied call and a call the map does not know are both failures.
 * Bootstrap stacks are applied and destroyed by an administrator (docs/platform.md, "Bootstrap"):
 * those calls are counted, not judged; their refreshes (the plans) run in production as the drift
 * workflow's read-only role (stacks/bootstrap/bootstrap-drift-role.ts) and are judged under it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mapCall, UnmappedCallError, type CallContext } from '../permissions/call-map';
import { deployIdentity, identityFromStacks, type DeployRole, type SynthesizedJson } from '../permissions/deploy-identities';
import { evaluate, type Identity } from '../permissions/evaluate';
import type { RecordedCall } from '../permissions/recorded-call';
import type { EnvironmentConfig, PlatformConfig } from '../config/types';
import { bootstrapDriftRoleName, deployRoleNames } from '../stacks/bootstrap/deploy-roles';

/** Which role runs each phase in production. */
export const PHASE_ROLES: Readonly<Record<string, DeployRole>> = {
  plan: 'plan',
  'plan-2': 'plan',
  apply: 'apply',
  destroy: 'apply',
  'usage job': 'usageJob',
};

/**
 * The bootstrap phases that only read (the first plan's refresh and data sources, the second plan):
 * in production the drift workflow runs them as the stack's drift role. The other bootstrap phases
 * (apply, destroy) are an administrator's and only counted.
 */
export const BOOTSTRAP_REFRESH_PHASES: readonly string[] = ['plan', 'plan-2'];

export interface PhaseVerdict {
  readonly phase: string;
  /** The role's name, or why nothing was judged. */
  readonly identity: string;
  readonly calls: number;
  readonly requests: number;
  /** "<phase>: <role> denied <action> on <resource> (<call>)". */
  readonly denied: readonly string[];
  readonly unmapped: readonly string[];
  /** "<phase>: no AWS call was recorded ..." when the phase recorded none. */
  readonly recording: readonly string[];
}

/**
 * Every phase makes AWS calls (the first plan at least the provider's account lookup and the
 * data sources; destroy its deletes; the usage job its queries), so a phase with none means the
 * recording broke (provider log level or path, the proxy): that must fail, never pass as "0 denied".
 */
export function recordingProblems(phase: string, calls: number): string[] {
  return calls > 0
    ? []
    : [
        `${phase}: no AWS call was recorded; every phase makes some, so the recording broke (TF_LOG_PROVIDER / TF_LOG_PATH of terraform-check/terraform-cli.ts, or the usage job's proxy)`,
      ];
}

/** A verdict's failures: denied calls, unmapped calls, a broken recording. */
export function verdictProblems(verdict: PhaseVerdict): string[] {
  return [...verdict.recording, ...verdict.denied, ...verdict.unmapped];
}

/** The synthesized stacks of a synth output directory (cdktf.out-like: stacks/<name>/cdk.tf.json). */
export function synthesizedStacks(synthDir: string, names: readonly string[]): Map<string, SynthesizedJson> {
  const out = new Map<string, SynthesizedJson>();
  for (const name of names) {
    const file = join(synthDir, 'stacks', name, 'cdk.tf.json');
    if (existsSync(file)) out.set(name, { json: JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown> });
  }
  return out;
}

export async function judgeCalls(phase: string, identity: Identity, calls: readonly RecordedCall[], context: CallContext): Promise<PhaseVerdict> {
  const denied: string[] = [];
  const unmapped = new Set<string>();
  let requests = 0;
  const seen = new Set<string>();
  const role = identity.arn.slice(identity.arn.indexOf(':role/') + ':role/'.length);
  for (const call of calls) {
    let needs;
    try {
      needs = mapCall(call, context);
    } catch (error) {
      if (error instanceof UnmappedCallError) {
        unmapped.add(`${phase}: ${error.message}`);
        continue;
      }
      throw error;
    }
    for (const need of needs) {
      requests++;
      const key = JSON.stringify(need);
      if (seen.has(key)) continue;
      seen.add(key);
      const decision = await evaluate(identity, need);
      if (decision !== 'Allowed') {
        denied.push(
          `${phase}: ${role} denied ${need.action} on ${need.resource} (${call.service} ${call.operation}${call.resourceType ? ` for ${call.resourceType}` : ''}; ${decision})`,
        );
      }
    }
  }
  return { phase, identity: role, calls: calls.length, requests, denied, unmapped: [...unmapped], recording: recordingProblems(phase, calls.length) };
}

export function phaseIdentity(stacks: ReadonlyMap<string, SynthesizedJson>, env: EnvironmentConfig, phase: string): Identity {
  const role = PHASE_ROLES[phase];
  if (role === undefined) throw new Error(`no production role is named for phase "${phase}" (terraform-check/identity-check.ts PHASE_ROLES)`);
  return deployIdentity(stacks, env, role);
}

/**
 * The drift role of one bootstrap stack as that stack synthesizes it. Every bootstrap stack defines
 * a role of the same name (one per account), so only this stack is searched.
 */
export function bootstrapDriftIdentity(
  stackName: string,
  stack: Readonly<Record<string, unknown>>,
  config: Pick<PlatformConfig, 'bootstrap'>,
  accountId: string,
): Identity {
  return identityFromStacks(new Map([[stackName, { json: { ...stack } }]]), accountId, bootstrapDriftRoleName(config));
}

export function roleNameFor(env: EnvironmentConfig, phase: string): string {
  const role = PHASE_ROLES[phase];
  return role === undefined ? '?' : deployRoleNames(env)[role];
}

/**
 * The permissions boundary the stack's roles carry (call-map CallContext.permissionsBoundary): a
 * literal ARN, or an aws_iam_policy of the same stack by name. Several different boundaries, or one
 * that cannot be resolved, are an error naming them rather than a guess.
 */
export function stackRoleBoundary(stack: Readonly<Record<string, unknown>>, accountId: string): string | undefined {
  const resources = (stack.resource ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
  const found = new Set<string>();
  for (const body of Object.values(resources.aws_iam_role ?? {})) {
    const boundary = body.permissions_boundary;
    if (boundary === undefined || boundary === null) continue;
    const text = String(boundary);
    const ref = /^\$\{aws_iam_policy\.([^.]+)\.arn\}$/.exec(text);
    if (ref !== null) {
      const policy = resources.aws_iam_policy?.[ref[1]];
      const name = policy?.name;
      if (typeof name !== 'string' || name.includes('${')) throw new Error(`permissions boundary ${text}: the policy has no literal name`);
      const path = typeof policy?.path === 'string' ? policy.path : '/';
      found.add(`arn:aws:iam::${accountId}:policy${path}${name}`);
    } else if (text.startsWith('arn:') && !text.includes('${')) {
      found.add(text);
    } else {
      throw new Error(`permissions boundary ${text}: neither a literal ARN nor an aws_iam_policy of the stack`);
    }
  }
  if (found.size > 1) throw new Error(`the stack's roles carry several permissions boundaries (${[...found].join(', ')}); the call map assumes one`);
  return [...found][0];
}

/**
 * Role name -> IAM path of the roles the stack creates (call-map CallContext.rolePaths), read from
 * the synthesized JSON: IAM authorizes role calls against an ARN that carries the path, which only
 * CreateRole's request states. A name or path that is not a literal is an error naming the role.
 */
export function stackRolePaths(stack: Readonly<Record<string, unknown>>): Map<string, string> {
  const resources = (stack.resource ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
  const paths = new Map<string, string>();
  for (const [id, body] of Object.entries(resources.aws_iam_role ?? {})) {
    const { name, path } = body;
    if (typeof name !== 'string' || name.includes('${')) throw new Error(`aws_iam_role.${id}: the role has no literal name`);
    if (path !== undefined && (typeof path !== 'string' || path.includes('${'))) throw new Error(`aws_iam_role.${id}: the role's path is not a literal`);
    paths.set(name, typeof path === 'string' ? path : '/');
  }
  return paths;
}
