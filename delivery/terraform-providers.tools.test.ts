/**
 * CI never validated the synthesized Terraform. delivery/terraform-providers.sh (the ci workflow's
 * terraform job) validates every stack without a backend or credentials and checks that the
 * committed provider lock file is current. Run here with the real Terraform CLI: validation on
 * stacks of the built-in terraform_data resource (no provider download is possible here), the lock
 * check against a filesystem mirror of stand-in provider packages (`providers lock -fs-mirror`
 * hashes the packages without running them; on GitHub the same command asks the registry).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from '../stacks/shared/zip';
import { runScript } from '../test-support/composite-action';

const SCRIPT = join(__dirname, 'terraform-providers.sh');
const PLATFORMS = 'linux_amd64 darwin_arm64';
let dir: string;

const env = (extra: Record<string, string> = {}): Record<string, string> => ({
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? dir,
  TF_CLI_CONFIG_FILE: '/dev/null',
  TF_IN_AUTOMATION: '1',
  RUNNER_TEMP: join(dir, 'tmp'),
  GITHUB_STEP_SUMMARY: join(dir, 'summary.md'),
  LOCK_FILE: join(dir, 'lock', '.terraform.lock.hcl'),
  PLATFORMS,
  ...extra,
});

function stack(root: string, name: string, json: unknown): void {
  mkdirSync(join(dir, root, name), { recursive: true });
  writeFileSync(join(dir, root, name, 'cdk.tf.json'), JSON.stringify(json));
}

const run = (command: string, root: string, extra: Record<string, string> = {}) => runScript(`bash "${SCRIPT}" ${command} "${root}"`, dir, env(extra));

beforeAll(() => {
  if (spawnSync('terraform', ['version']).status !== 0) throw new Error('terraform is not on PATH: install it (CI: ./.github/actions/setup-terraform)');
  dir = mkdtempSync(join(tmpdir(), 'tf-providers-'));
  mkdirSync(join(dir, 'tmp'));
  mkdirSync(join(dir, 'lock'));
  // Stand-in packages of hashicorp/aws 6.25.0 in a filesystem mirror (packed layout).
  const mirror = join(dir, 'mirror', 'registry.terraform.io', 'hashicorp', 'aws');
  mkdirSync(mirror, { recursive: true });
  for (const platform of PLATFORMS.split(' ')) {
    writeFileSync(
      join(mirror, `terraform-provider-aws_6.25.0_${platform}.zip`),
      zipSync([{ name: 'terraform-provider-aws_v6.25.0_x5', data: Buffer.from(`stand-in ${platform}`) }]),
    );
  }
  const aws = { terraform: { required_providers: { aws: { source: 'aws', version: '6.25.0' } } } };
  stack('locked', 'billing-dev', aws);
  stack('locked', 'bootstrap', aws);
  stack('mixed', 'billing-dev', aws);
  stack('mixed', 'other', { terraform: { required_providers: { aws: { source: 'aws', version: '6.24.0' } } } });
  stack('good', 'billing-dev', { resource: { terraform_data: { a: { input: 'x' } } }, output: { a: { value: '${terraform_data.a.output}' } } });
  stack('good', 'bootstrap', { resource: { terraform_data: { b: { input: 'y' } } } });
  stack('bad', 'billing-dev', { resource: { terraform_data: { a: { input: 'x' } } } });
  stack('bad', 'billing-prod', { resource: { terraform_data: { a: { input: '${terraform_data.missing.output}' } } } });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('validate', () => {
  test('inits every stack without a backend and validates it', async () => {
    const result = await run('validate', 'good');
    expect(result.code).toBe(0);
    expect(result.output).toContain('Terraform validated 2 stacks: good/billing-dev good/bootstrap');
    expect(result.output).toContain('::warning::No committed provider lock file');
  });

  test('fails and names the stack that does not validate', async () => {
    const result = await run('validate', 'bad');
    expect(result.code).toBe(1);
    expect(result.output).toContain('::error::terraform validate failed for bad/billing-prod');
    expect(result.output).toContain('Reference to undeclared resource');
    expect(result.output).toContain('Terraform validation failed for: bad/billing-prod');
  });

  test('fails when nothing was synthesized', async () => {
    expect((await run('validate', 'nothing-here')).output).toContain('no synthesized stacks under nothing-here; run npm run synth first');
  });
});

describe('check-lock', () => {
  const mirror = () => ({ PROVIDER_MIRROR: join(dir, 'mirror') });

  test('fails while no lock file is committed, printing the one to commit', async () => {
    rmSync(join(dir, 'lock', '.terraform.lock.hcl'), { force: true });
    const result = await run('check-lock', 'locked', mirror());
    expect(result.code).toBe(1);
    expect(result.output).toContain('::error title=Provider lock file missing::commit');
    expect(result.output).toContain('provider "registry.terraform.io/hashicorp/aws" {');
    expect(result.output).toContain('version     = "6.25.0"');
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toContain('### Provider lock file to commit');
  });

  test('passes once the generated file is committed, fails when it goes stale', async () => {
    writeFileSync(join(dir, 'lock', '.terraform.lock.hcl'), readFileSync(join(dir, 'tmp', '.terraform.lock.hcl')));
    const ok = await run('check-lock', 'locked', mirror());
    expect(ok.output).toContain('records the providers of 2 stacks for linux_amd64 darwin_arm64');
    expect(ok.code).toBe(0);

    const committed = readFileSync(join(dir, 'lock', '.terraform.lock.hcl'), 'utf8');
    writeFileSync(join(dir, 'lock', '.terraform.lock.hcl'), committed.replace(/"h1:[^"]+",\n/, ''));
    const stale = await run('check-lock', 'locked', mirror());
    expect(stale.code).toBe(1);
    expect(stale.output).toContain('::error title=Provider lock file stale::');
  });

  test('refuses stacks that ask for different providers', async () => {
    const result = await run('check-lock', 'mixed', mirror());
    expect(result.code).toBe(1);
    expect(result.output).toContain('one lock file cannot serve both');
  });
});
