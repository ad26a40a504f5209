/**
 * Where a stack keeps its Terraform state. Billing stacks use one S3 key per environment in the
 * state bucket the bootstrap stack creates, with S3-native locking (`use_lockfile`, Terraform 1.10+;
 * the CDKTF S3Backend type lacks it, so it is set by override). The bootstrap stack and test
 * synthesis use a local backend.
 * https://developer.hashicorp.com/terraform/language/backend/s3 (use_lockfile)
 */
import { LocalBackend, S3Backend } from 'cdktf';
import type { TerraformStack } from 'cdktf';

export type BackendKind = 's3' | 'local';

/** `local` when SYNTH_BACKEND=local (tests, local experiments); S3 otherwise. */
export function backendFromEnvironment(env: NodeJS.ProcessEnv = process.env): BackendKind {
  const value = env.SYNTH_BACKEND ?? 's3';
  if (value !== 's3' && value !== 'local') {
    throw new Error(`SYNTH_BACKEND must be "s3" or "local", got "${value}"`);
  }
  return value;
}

export interface S3StateLocation {
  readonly bucket: string;
  readonly region: string;
  /** Object key of this stack's state, e.g. billing-prod/terraform.tfstate (stateKey). */
  readonly key: string;
}

export function stateKey(stackName: string): string {
  return `${stackName}/terraform.tfstate`;
}

export type BackendChoice = { readonly kind: 'local' } | ({ readonly kind: 's3' } & S3StateLocation);

export function configureBackend(stack: TerraformStack, choice: BackendChoice): void {
  if (choice.kind === 'local') {
    // Relative path: synthesized JSON holds no absolute paths, so snapshots are portable.
    new LocalBackend(stack, { path: `terraform.${stack.node.id}.tfstate` });
    return;
  }
  const backend = new S3Backend(stack, { bucket: choice.bucket, key: choice.key, region: choice.region, encrypt: true });
  backend.addOverride('use_lockfile', true);
}
