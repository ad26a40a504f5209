/**
 * Real Terraform plans that carry secrets, made with Terraform and the AWS provider 5.100.0 (from
 * the local mirror TF_PLUGIN_MIRROR) against moto: each scenario applies a starting configuration,
 * then plans a change the way the platform makes it.
 *
 *   usage-plan-key-replaced  a key moves to another usage plan: its usage-plan key is replaced
 *   api-key-destroyed        a customer is removed: the API key and its usage-plan key are destroyed
 *   origin-secret-rotated    the origin secret version is replaced (-replace, the documented
 *                            rotation); the new value comes from the random-password data source
 *   keys-forgotten           the keys issue's migration: `removed { lifecycle { destroy = false } }`
 *                            takes keys out of the state (action "forget"; `before` keeps the values)
 *
 * API key values are fixed, obviously fake strings. The origin secret comes from moto's
 * GetRandomPassword; writeFixtures replaces those random values with fake ones before writing.
 *
 *   bash delivery/fixtures/make-secret-plans.sh      # regenerates delivery/fixtures/secrets/
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ORIGIN_SECRET_HEADER } from '../../contracts/origin-secret';
import { startMotoServer } from '../../test-support/moto-server';

/** The fake value of API key `name` in a scenario (unique across scenarios: they share one moto). */
export function fakeKey(scenario: string, name: string): string {
  return `FAKE-TEST-KEY-${scenario}-${name}`;
}
/** What writeFixtures puts in place of the random origin secrets. */
export const FAKE_ORIGIN_SECRETS = {
  old: 'FAKEtestORIGINsecretOLD000000000000000000000001',
  new: 'FAKEtestORIGINsecretNEW000000000000000000000002',
} as const;

export interface SecretScenario {
  readonly name: string;
  readonly start: string;
  readonly change: string;
  readonly planArgs: readonly string[];
}

const apiKey = (scenario: string, name: string, plan: string): string => `
resource "aws_api_gateway_api_key" "${name}" {
  name  = "${scenario}-${name}"
  value = "${fakeKey(scenario, name)}"
}
resource "aws_api_gateway_usage_plan_key" "${name}" {
  key_id        = aws_api_gateway_api_key.${name}.id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.${plan}.id
}
`;

const plans = (prefix: string): string => `
resource "aws_api_gateway_usage_plan" "basic" { name = "${prefix}-basic" }
resource "aws_api_gateway_usage_plan" "pro" { name = "${prefix}-pro" }
`;

const forget = (address: string): string => `
removed {
  from = ${address}
  lifecycle { destroy = false }
}
`;

/** stacks/billing/edge/origin-secret.ts and the distribution's origin header, reduced to what carries the secret. */
const originSecret = `
data "aws_secretsmanager_random_password" "seed" {
  password_length     = 48
  exclude_punctuation = true
  include_space       = false
}
resource "aws_secretsmanager_secret" "origin" {
  name                    = "fixture-origin-secret"
  recovery_window_in_days = 7
}
resource "aws_secretsmanager_secret_version" "origin" {
  secret_id     = aws_secretsmanager_secret.origin.id
  secret_string = data.aws_secretsmanager_random_password.seed.random_password
  lifecycle { ignore_changes = [secret_string] }
}
resource "aws_cloudfront_distribution" "api" {
  enabled = true
  origin {
    origin_id   = "api"
    domain_name = "example.execute-api.us-east-1.amazonaws.com"
    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "https-only"
      origin_ssl_protocols   = ["TLSv1.2"]
    }
    custom_header {
      name  = "${ORIGIN_SECRET_HEADER}"
      value = aws_secretsmanager_secret_version.origin.secret_string
    }
  }
  default_cache_behavior {
    target_origin_id       = "api"
    viewer_protocol_policy = "https-only"
    allowed_methods        = ["GET", "HEAD"]
    cached_methods         = ["GET", "HEAD"]
    cache_policy_id        = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
  }
  restrictions {
    geo_restriction { restriction_type = "none" }
  }
  viewer_certificate { cloudfront_default_certificate = true }
}
`;

export const SCENARIOS: readonly SecretScenario[] = [
  {
    name: 'usage-plan-key-replaced',
    start: plans('replaced') + apiKey('usage-plan-key-replaced', 'moved', 'basic'),
    change: plans('replaced') + apiKey('usage-plan-key-replaced', 'moved', 'pro'),
    planArgs: [],
  },
  {
    name: 'api-key-destroyed',
    start: plans('destroyed') + apiKey('api-key-destroyed', 'kept', 'basic') + apiKey('api-key-destroyed', 'gone', 'basic'),
    change: plans('destroyed') + apiKey('api-key-destroyed', 'kept', 'basic'),
    planArgs: [],
  },
  {
    name: 'origin-secret-rotated',
    start: originSecret,
    change: originSecret,
    planArgs: ['-replace=aws_secretsmanager_secret_version.origin'],
  },
  {
    name: 'keys-forgotten',
    start: plans('forgotten') + apiKey('keys-forgotten', 'first', 'basic') + apiKey('keys-forgotten', 'second', 'pro'),
    change:
      plans('forgotten') +
      ['aws_api_gateway_api_key.first', 'aws_api_gateway_usage_plan_key.first', 'aws_api_gateway_api_key.second', 'aws_api_gateway_usage_plan_key.second']
        .map(forget)
        .join(''),
    planArgs: [],
  },
];

function providerBlock(endpoint: string): string {
  return `
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}
provider "aws" {
  region                      = "us-east-1"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_metadata_api_check     = true
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  endpoints {
    apigateway     = "${endpoint}"
    cloudfront     = "${endpoint}"
    secretsmanager = "${endpoint}"
    sts            = "${endpoint}"
  }
}
`;
}

/** A CLI configuration that installs the AWS provider from TF_PLUGIN_MIRROR only; a one-line error when it is not set. */
export function writeCliConfig(dir: string, env: NodeJS.ProcessEnv = process.env): string {
  const mirror = env.TF_PLUGIN_MIRROR;
  if (mirror === undefined || mirror === '' || !existsSync(join(mirror, 'registry.terraform.io', 'hashicorp', 'aws'))) {
    throw new Error(
      `TF_PLUGIN_MIRROR must name a directory holding registry.terraform.io/hashicorp/aws (provider 5.100.0), got "${mirror ?? ''}"; bash .ci/run sets it`,
    );
  }
  const file = join(dir, 'terraformrc');
  writeFileSync(
    file,
    `disable_checkpoint = true\nprovider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(mirror)}\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n`,
  );
  return file;
}

export interface TerraformRun {
  readonly status: number;
  readonly output: string;
}

export function terraform(dir: string, args: readonly string[], cliConfig: string): TerraformRun {
  const r = spawnSync('terraform', [...args], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, TF_CLI_CONFIG_FILE: cliConfig, TF_IN_AUTOMATION: '1' },
  });
  if (r.error) throw new Error(`terraform could not start (${r.error.message}); put Terraform 1.11.4 on PATH`);
  return { status: r.status ?? 1, output: `${r.stdout}${r.stderr}` };
}

function mustRun(dir: string, args: readonly string[], cliConfig: string): string {
  const r = terraform(dir, args, cliConfig);
  if (r.status !== 0) throw new Error(`terraform ${args.join(' ')} failed in ${dir}:\n${r.output}`);
  return r.output;
}

/** Applies the scenario's starting configuration in `dir` and leaves its change in place, ready to plan. */
export function prepareScenario(scenario: SecretScenario, dir: string, endpoint: string, cliConfig: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'provider.tf'), providerBlock(endpoint));
  writeFileSync(join(dir, 'main.tf'), scenario.start);
  mustRun(dir, ['init', '-input=false', '-no-color'], cliConfig);
  mustRun(dir, ['apply', '-input=false', '-no-color', '-auto-approve'], cliConfig);
  writeFileSync(join(dir, 'main.tf'), scenario.change);
}

export interface ScenarioPlan {
  /** What `terraform plan` printed (stdout and stderr): what a step log would show. */
  readonly log: string;
  /** `terraform show -json` of the plan file. */
  readonly json: string;
  /** `terraform show -no-color` of the plan file: plan.txt before masking. */
  readonly text: string;
}

export function planScenario(scenario: SecretScenario, dir: string, cliConfig: string): ScenarioPlan {
  const plan = terraform(dir, ['plan', '-input=false', '-no-color', '-detailed-exitcode', '-out=tfplan', ...scenario.planArgs], cliConfig);
  if (plan.status !== 2) throw new Error(`terraform plan of ${scenario.name} answered ${plan.status}, expected 2 (changes):\n${plan.output}`);
  return {
    log: plan.output,
    json: mustRun(dir, ['show', '-json', 'tfplan'], cliConfig),
    text: mustRun(dir, ['show', '-no-color', 'tfplan'], cliConfig),
  };
}

/** The random origin secrets of a plan: the stored one (before) and the new seed. */
function randomSecrets(json: string): { old?: string; new?: string } {
  const doc = JSON.parse(json) as {
    resource_changes: { type: string; change: { before?: { secret_string?: string } } }[];
    prior_state?: { values?: { root_module?: { resources?: { type: string; values: { random_password?: string } }[] } } };
  };
  const version = doc.resource_changes.find((rc) => rc.type === 'aws_secretsmanager_secret_version');
  const seed = doc.prior_state?.values?.root_module?.resources?.find((r) => r.type === 'aws_secretsmanager_random_password');
  return { old: version?.change.before?.secret_string, new: seed?.values.random_password };
}

/** Replaces moto's random origin secrets by FAKE_ORIGIN_SECRETS in every form of the plan. */
export function withFakeSecrets(plan: ScenarioPlan): ScenarioPlan {
  const { old, new: next } = randomSecrets(plan.json);
  const swap = (text: string): string => {
    let out = text;
    if (old) out = out.split(old).join(FAKE_ORIGIN_SECRETS.old);
    if (next) out = out.split(next).join(FAKE_ORIGIN_SECRETS.new);
    return out;
  };
  return { log: swap(plan.log), json: swap(plan.json), text: swap(plan.text) };
}

export const FIXTURE_DIR = join(__dirname, '..', 'fixtures', 'secrets');

/** Makes every scenario's plan against moto at `endpoint` and writes <name>.plan.{json,txt,log} into `out`. */
export function writeFixtures(endpoint: string, out: string = FIXTURE_DIR): string[] {
  const work = mkdtempSync(join(tmpdir(), 'secret-plans-'));
  try {
    const cliConfig = writeCliConfig(work);
    mkdirSync(out, { recursive: true });
    const written: string[] = [];
    for (const scenario of SCENARIOS) {
      const dir = join(work, scenario.name);
      prepareScenario(scenario, dir, endpoint, cliConfig);
      const plan = withFakeSecrets(planScenario(scenario, dir, cliConfig));
      // Pretty JSON, with the moto endpoint (a random port) replaced, so regenerating changes only what changed.
      const json = `${JSON.stringify(JSON.parse(plan.json.split(endpoint).join('http://127.0.0.1:5000')), null, 2)}\n`;
      writeFileSync(join(out, `${scenario.name}.plan.json`), json);
      writeFileSync(join(out, `${scenario.name}.plan.txt`), plan.text);
      writeFileSync(join(out, `${scenario.name}.plan.log`), plan.log);
      written.push(scenario.name);
    }
    return written;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function readFixture(name: string, dir: string = FIXTURE_DIR): ScenarioPlan {
  const read = (ext: string): string => readFileSync(join(dir, `${name}.plan.${ext}`), 'utf8');
  return { json: read('json'), text: read('txt'), log: read('log') };
}

async function cli(): Promise<void> {
  const moto = await startMotoServer();
  try {
    const names = writeFixtures(moto.endpoint);
    process.stdout.write(`wrote ${names.map((n) => `${n}.plan.{json,txt,log}`).join(', ')} into ${FIXTURE_DIR}\n`);
  } finally {
    await moto.stop();
  }
}

if (require.main === module) {
  cli().catch((error: unknown) => {
    process.stderr.write(`make-secret-plans: ${(error as Error).message}\n`);
    process.exitCode = 1;
  });
}
