/**
 * Runs the terraform-plan composite action's real scripts, in order, with the real Terraform CLI on
 * a stack that needs no provider download (the built-in terraform_data resource, local backend):
 * init, plan with -detailed-exitcode, render. Checks the outputs the workflows branch on
 * (exitcode, digest), plan.md, plan.txt, the job summary, and that the plan JSON (which holds
 * sensitive values in clear text) is gone afterwards.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCompositeAction, type StepsRun } from '../test-support/composite-action';
import { bundleDeliveryTools } from './bundle-tools';

const ROOT = join(__dirname, '..');
const ACTION = join(ROOT, '.github', 'actions', 'terraform-plan', 'action.yml');

function terraformOnPath(): void {
  const v = spawnSync('terraform', ['version'], { encoding: 'utf8' });
  if (v.status !== 0) throw new Error('terraform is not on PATH: install it (CI: ./.github/actions/setup-terraform)');
}

let work: string;
let stackDir: string;
let runnerTemp: string;

beforeAll(() => {
  terraformOnPath();
  work = mkdtempSync(join(tmpdir(), 'tf-plan-action-'));
  // The workspace the action runs in holds no package.json and no node_modules: like the
  // credentialed job, the action runs plan-mask and plan-render from the tools bundle only.
  bundleDeliveryTools(join(work, '.gen', 'build', 'delivery-tools.cjs'));
  stackDir = join('cdktf.out', 'stacks', 'billing-test');
  mkdirSync(join(work, stackDir), { recursive: true });
  runnerTemp = join(work, 'runner-temp');
  mkdirSync(runnerTemp);
  writeFileSync(
    join(work, stackDir, 'cdk.tf.json'),
    JSON.stringify({
      terraform: { backend: { local: { path: 'terraform.billing-test.tfstate' } } },
      resource: {
        terraform_data: {
          api: { input: 'v1' },
          key: { input: '${sensitive("plan-action-secret-value")}' },
        },
      },
      output: { api: { value: '${terraform_data.api.output}' } },
    }),
  );
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** Runs every step of the action like the runner does (bash -e, step env), stopping at a failure. */
function runAction(): Promise<StepsRun> {
  return runCompositeAction(ACTION, {
    cwd: work,
    inputs: {
      environment: 'dev',
      'stack-dir': stackDir,
      'state-bucket': '',
      lock: 'false',
      'lock-timeout': '5m',
      'provider-lock-file': 'stacks/.terraform.lock.hcl',
      tools: '.gen/build/delivery-tools.cjs',
    },
    github: {
      server_url: 'https://github.com',
      repository: 'example-org/usage-billing-platform',
      run_id: '7',
      sha: '0123456789abcdef0123456789abcdef01234567',
    },
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? work,
      TF_IN_AUTOMATION: '1',
      TF_CLI_CONFIG_FILE: '/dev/null',
      RUNNER_TEMP: runnerTemp,
    },
  });
}

test('a plan with changes: exit code 2, rendered comment, summary, readable plan, no JSON left', async () => {
  const run = await runAction();
  expect(run.failedStep).toBeUndefined();
  expect(run.outputs.exitcode).toBe('2');
  expect(run.outputs.changes).toBe('true');
  expect(run.outputs.digest).toMatch(/^[0-9a-f]{64}$/);
  const md = readFileSync(join(work, 'plan.md'), 'utf8');
  expect(md.startsWith('<!-- plan:dev -->\n### Terraform plan for `dev`: 2 to add, 0 to change, 0 to replace, 0 to destroy')).toBe(true);
  expect(md).toContain('commit `0123456789ab`');
  expect(run.summary).toBe(md);
  expect(readFileSync(join(work, 'plan.txt'), 'utf8')).toContain('terraform_data.api will be created');
  // The reviewer sees the values Terraform shows, sensitive ones masked by Terraform.
  expect(md).toContain('+ input  = "v1"');
  expect(md).toContain('(sensitive value)');
  expect(run.log).toContain('::warning::No committed provider lock file at stacks/.terraform.lock.hcl');
  for (const text of [md, run.summary, run.log, readFileSync(join(work, 'plan.txt'), 'utf8')]) {
    expect(text).not.toContain('plan-action-secret-value');
  }
  expect(readdirSync(runnerTemp)).toEqual([]);
  expect(existsSync(join(work, stackDir, 'tfplan'))).toBe(true);
});

test('after applying that plan file, the next plan reports no changes with exit code 0', async () => {
  const apply = spawnSync('terraform', [`-chdir=${stackDir}`, 'apply', '-input=false', '-no-color', 'tfplan'], {
    cwd: work,
    encoding: 'utf8',
    env: { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null' },
  });
  expect(apply.status).toBe(0);
  const run = await runAction();
  expect(run.outputs.exitcode).toBe('0');
  expect(run.outputs.changes).toBe('false');
  expect(readFileSync(join(work, 'plan.md'), 'utf8')).toContain('No changes. The live infrastructure matches the configuration.');
});

test('a failing plan fails the step and reports exit code 1', async () => {
  const broken = join(work, stackDir, 'cdk.tf.json');
  const good = readFileSync(broken, 'utf8');
  writeFileSync(broken, JSON.stringify({ ...JSON.parse(good), output: { bad: { value: '${terraform_data.missing.output}' } } }));
  try {
    const run = await runAction();
    expect(run.failedStep).toBe('Terraform plan');
    expect(run.log).toContain('::error::terraform plan failed');
    expect(run.outputs.exitcode).toBe('1');
  } finally {
    writeFileSync(broken, good);
  }
});
