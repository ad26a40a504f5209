/**
 * One Lambda function per entry of HANDLERS (lambdas/bundle.ts): esbuild bundle zipped
 * deterministically in-process (stacks/shared/zip.ts) and packaged as a TerraformAsset file, so
 * the asset hash, the file name and source_code_hash change exactly when the code changes; the
 * newest Node.js runtime Lambda and AWS provider 6.25 support (nodejs24.x, GA November 2025,
 * accepted by the provider since 6.20 (https://github.com/hashicorp/terraform-provider-aws/pull/45024, changelog of 6.20.0),
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html), arm64, an explicit log group
 * with retention, and a role that can write only to that log group. The role carries the
 * environment's permissions boundary (created by the bootstrap, stacks/bootstrap/role-boundary.ts):
 * the apply role may create roles only with it.
 */
import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { AssetType, TerraformAsset } from 'cdktf';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { HANDLERS, bundleHandler, writeFileAtomically } from '../../../lambdas/bundle';
import type { HandlerSpec } from '../../../lambdas/bundle';
import { ORIGIN_SECRET_ENV } from '../../../contracts/origin-secret';
import { boundedRolePath } from '../../bootstrap/role-boundary';
import { assumeRolePolicy, policyDocument, type PolicyStatement } from '../../shared/iam';
import { zipSync } from '../../shared/zip';

export const LAMBDA_RUNTIME = 'nodejs24.x';
export const LAMBDA_ARCHITECTURE = 'arm64';

export interface HandlerPackage {
  /** Folder esbuild wrote the bundle to (.gen/lambdas/<name>/). */
  readonly bundleDir: string;
  /** Deterministic zip of that folder (.gen/lambdas/<name>.zip). */
  readonly zipPath: string;
  /** Base64 SHA-256 of the zip, the form Lambda's source_code_hash takes. */
  readonly sha256: string;
}

const packages = new Map<string, HandlerPackage>();

/** Bundles and zips each handler once per process, however many environments are synthesized. */
export function handlerPackage(spec: HandlerSpec): HandlerPackage {
  let pkg = packages.get(spec.name);
  if (pkg === undefined) {
    // Zipped from esbuild's output in memory, not from the folder another process may be rewriting.
    const bundle = bundleHandler(spec);
    const zip = zipSync([...bundle.files].map(([name, data]) => ({ name: name.split('\\').join('/'), data: Buffer.from(data) })));
    const zipPath = `${bundle.dir}.zip`;
    writeFileAtomically(zipPath, zip);
    pkg = { bundleDir: bundle.dir, zipPath, sha256: createHash('sha256').update(zip).digest('base64') };
    packages.set(spec.name, pkg);
  }
  return pkg;
}

export interface HandlerFunctionsProps {
  readonly prefix: string;
  readonly logRetentionDays: number;
  readonly originSecret: string;
  /** ARN of the environment's permissions boundary (roleBoundaryArn). */
  readonly permissionsBoundary: string;
  /** Beyond its own log group: what a handler may read and the variables that say where (by handler name). */
  readonly access?: ReadonlyMap<string, { readonly statements: readonly PolicyStatement[]; readonly environment: Readonly<Record<string, string>> }>;
}

export class HandlerFunctions extends Construct {
  readonly functions: ReadonlyMap<string, LambdaFunction>;

  constructor(scope: Construct, id: string, props: HandlerFunctionsProps) {
    super(scope, id);
    const functions = new Map<string, LambdaFunction>();
    for (const spec of HANDLERS) {
      const functionName = `${props.prefix}-${spec.name}`;
      const pkg = handlerPackage(spec);
      const asset = new TerraformAsset(this, `${spec.name}-bundle`, { path: pkg.zipPath, type: AssetType.FILE });
      const logGroup = new CloudwatchLogGroup(this, `${spec.name}-logs`, {
        name: `/aws/lambda/${functionName}`,
        retentionInDays: props.logRetentionDays,
      });
      const access = props.access?.get(spec.name);
      const role = new IamRole(this, `${spec.name}-role`, {
        name: `${functionName}-lambda`,
        description:
          access === undefined
            ? `Execution role of ${functionName}: writes its own log group, nothing else`
            : `Execution role of ${functionName}: writes its own log group, reads what its read-only policy names`,
        assumeRolePolicy: assumeRolePolicy('lambda.amazonaws.com'),
        permissionsBoundary: props.permissionsBoundary,
        // The apply role may manage only roles under this path (stacks/bootstrap/role-boundary.ts).
        path: boundedRolePath({ prefix: props.prefix }),
      });
      new IamRolePolicy(this, `${spec.name}-logs-policy`, {
        // The id, not the name: a change of path replaces the role, and a policy naming it by name
        // would be deleted with the old role and not recreated (seen with provider 5.100.0 on moto).
        role: role.id,
        name: 'own-log-group-only',
        policy: policyDocument([{ Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${logGroup.arn}:*` }]),
      });
      if (access !== undefined) {
        new IamRolePolicy(this, `${spec.name}-read-policy`, { role: role.id, name: 'read-only', policy: policyDocument(access.statements) });
      }
      functions.set(
        spec.name,
        new LambdaFunction(this, `${spec.name}-function`, {
          functionName,
          description: `${spec.entry} (esbuild bundle)`,
          runtime: LAMBDA_RUNTIME,
          architectures: [LAMBDA_ARCHITECTURE],
          handler: 'index.handler',
          filename: asset.path,
          sourceCodeHash: pkg.sha256,
          role: role.arn,
          memorySize: 256,
          timeout: 10,
          environment: { variables: { [ORIGIN_SECRET_ENV]: props.originSecret, ...access?.environment } },
          loggingConfig: { logFormat: 'Text', logGroup: logGroup.name },
          dependsOn: [logGroup],
        }),
      );
    }
    this.functions = functions;
  }
}
