/**
 * The terraform-plan action, its real scripts in order, on live plans: Terraform 1.11.4 and the AWS
 * provider 5.100.0 (TF_PLUGIN_MIRROR) against moto, for each scenario of
 * delivery/testing/secret-plans.ts (a replaced usage-plan key, a destroyed API key, a rotated
 * origin secret, keys removed from state with `removed { lifecycle { destroy = false } }`). No key
 * value or secret of the plan may reach the step log, the job summary, plan.md (the PR comment and
 * the artifact) or plan.txt (the artifact). The same scenarios, made by the same code, are the
 * committed fixtures the fast tests read (delivery/fixtures/make-secret-plans.sh).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useMotoServer } from '../test-support/moto-server';
import { runCompositeAction } from '../test-support/composite-action';
import { fakeKey, prepareScenario, SCENARIOS, terraform, writeCliConfig, type SecretScenario } from './testing/secret-plans';
import { bundleDeliveryTools } from './bundle-tools';

const ROOT = join(__dirname, '..');
const ACTION = join(ROOT, '.github', 'actions', 'terraform-plan', 'action.yml');
const SCENARIO_TIMEOUT_MS = 15 * 60_000;

const moto = useMotoServer();
let work: string;
let cliConfig: string;

beforeAll(() => {
  const v = spawnSync('terraform', ['version'], { encoding: 'utf8' });
  if (v.status !== 0) throw new Error('terraform is not on PATH: install Terraform 1.11.4 (CI: ./.github/actions/setup-terraform)');
  work = mkdtempSync(join(tmpdir(), 'plan-secrets-action-'));
  // The workspace the action runs in holds no package.json and no node_modules: plan-mask and
  // plan-render run from the tools bundle, as in the credentialed job.
  bundleDeliveryTools(join(work, '.gen', 'build', 'delivery-tools.cjs'));
  cliConfig = writeCliConfig(work);
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** The secrets of the plan the action made, read from its plan file, independently of the masker. */
function secretsOf(scenario: SecretScenario, stackDir: string): string[] {
  const json = terraform(stackDir, ['show', '-json', 'tfplan'], cliConfig);
  expect(json.status).toBe(0);
  const doc = JSON.parse(json.output) as {
    resource_changes: { type: string; change: { before?: { secret_string?: string } } }[];
    prior_state?: { values?: { root_module?: { resources?: { type: string; values: { random_password?: string } }[] } } };
  };
  const keys = [...new Set(json.output.match(/FAKE-TEST-KEY-[A-Za-z0-9-]+/g) ?? [])];
  const stored = doc.resource_changes.find((rc) => rc.type === 'aws_secretsmanager_secret_version')?.change.before?.secret_string;
  const seed = doc.prior_state?.values?.root_module?.resources?.find((r) => r.type === 'aws_secretsmanager_random_password')?.values.random_password;
  const secrets = [...keys, ...[stored, seed].filter((s): s is string => typeof s === 'string' && s !== '')];
  if (scenario.name === 'origin-secret-rotated') expect(secrets.length).toBe(2);
  else expect(secrets).toEqual(expect.arrayContaining([expect.stringContaining(fakeKey(scenario.name, ''))]));
  return secrets;
}

test.each(SCENARIOS.map((s) => [s.name, s] as const))(
  '%s: no secret in the step log, the job summary, plan.md or plan.txt',
  async (_name, scenario) => {
    const stackDir = join('stacks-under-test', scenario.name);
    prepareScenario(scenario, join(work, stackDir), moto.endpoint, cliConfig);
    const runnerTemp = join(work, `runner-temp-${scenario.name}`);
    mkdirSync(runnerTemp);
    // -replace is an argument the action does not take: the rotation is planned through TF_CLI_ARGS_plan.
    const run = await runCompositeAction(ACTION, {
      cwd: work,
      inputs: {
        environment: 'dev',
        'stack-dir': stackDir,
        'state-bucket': '',
        lock: 'false',
        'lock-timeout': '5m',
        'provider-lock-file': 'none',
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
        TF_CLI_CONFIG_FILE: cliConfig,
        RUNNER_TEMP: runnerTemp,
        ...(scenario.planArgs.length > 0 ? { TF_CLI_ARGS_plan: scenario.planArgs.join(' ') } : {}),
      },
      timeoutMs: SCENARIO_TIMEOUT_MS,
    });
    expect(run.failedStep).toBeUndefined();
    expect(run.outputs.changes).toBe('true');
    const secrets = secretsOf(scenario, join(work, stackDir));
    const channels = {
      'step log': run.log,
      'job summary': run.summary,
      'plan.md (PR comment, artifact)': readFileSync(join(work, 'plan.md'), 'utf8'),
      'plan.txt (artifact)': readFileSync(join(work, 'plan.txt'), 'utf8'),
    };
    const leaks = Object.entries(channels).flatMap(([channel, text]) => secrets.filter((s) => text.includes(s)).map((s) => `${channel}: ${s}`));
    expect(leaks).toEqual([]);
    expect(run.log).toContain('Terraform will perform the following actions');
    if (scenario.name === 'origin-secret-rotated') expect(run.log).toMatch(/random_password\.seed: Read complete after \S+ \[id=\(masked secret\)\]/);
  },
  SCENARIO_TIMEOUT_MS,
);
