/**
 * The state lock across cancellations, with the real Terraform CLI against an HTTP state backend
 * whose lock outlives a killed process (like the S3 lock file; the local backend's file lock does
 * not), and the runner's cancellation emulated (test-support/runner-signals.ts):
 *
 * - review plans (pull requests, drift, the prod plan for reviewers) never take the lock, so a
 *   cancelled one cannot leave it behind, and a held lock does not stop them;
 * - the plan an apply job applies does take it;
 * - an apply cancelled the way the runner cancels a step stops cleanly and releases the lock
 *   (delivery/terraform-apply.sh), where a plain `terraform apply` in the step leaves it held;
 * - delivery/release-state-lock.sh releases a lock the job left only when it is the job's own.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { runCompositeAction, runScript } from '../test-support/composite-action';
import { startHttpStateBackend, type HttpStateBackend, type LockInfo } from './testing/http-state-backend';
import { cancelLikeRunner, cleanUpOrphans, startStep, trackedProcesses, waitFor } from '../test-support/runner-signals';
import { bundleDeliveryTools } from './bundle-tools';

const ROOT = join(__dirname, '..');
const PLAN_ACTION = join(ROOT, '.github', 'actions', 'terraform-plan', 'action.yml');

let backend: HttpStateBackend;
let work: string;
let runnerTemp: string;
const stackDir = join('cdktf.out', 'stacks', 'billing-test');

const env = (): Record<string, string> => ({
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? work,
  TF_IN_AUTOMATION: '1',
  TF_CLI_CONFIG_FILE: '/dev/null',
  RUNNER_TEMP: runnerTemp,
  TERRAFORM_PIDFILE: join(runnerTemp, 'terraform-apply.pid'),
  // The verified bundle the apply job runs instead of npm (release-state-lock.sh's lock tool).
  DELIVERY_TOOLS: tools,
});

const otherHolder: LockInfo = {
  ID: '11111111-2222-3333-4444-555555555555',
  Operation: 'OperationTypeApply',
  Info: '',
  Who: 'runner@another-runner',
  Version: '1.11.4',
  Created: '2026-01-01T00:00:00Z',
  Path: '',
};

// Review finding M4: secrets in the apply log. PLAN_SECRET is a sensitive value of the plan JSON;
// ID_SECRET is in no document, like the password a random-password data source prints as its id.
const PLAN_SECRET = 'FAKEtestPLANsecret0123456789';
const ID_SECRET = 'FAKEtestIDsecret0123456789';
const ID_LINE = `data.aws_secretsmanager_random_password.seed: Read complete after 0s [id=${ID_SECRET}]`;
const MASKED_ID_LINE = 'data.aws_secretsmanager_random_password.seed: Read complete after 0s [id=(masked secret)]';

/**
 * A stack whose one resource takes a minute to create, so an apply can be cancelled mid-way; its
 * provisioner prints both secrets to the apply log, as a provider that forgot to mark them would.
 */
function writeStack(): void {
  writeFileSync(
    join(work, stackDir, 'cdk.tf.json'),
    JSON.stringify({
      terraform: { backend: backend.backendConfig() },
      variable: { seed: { type: 'string', sensitive: true, default: PLAN_SECRET } },
      resource: {
        terraform_data: {
          slow: { input: '${var.seed}', provisioner: [{ 'local-exec': { command: `echo '${ID_LINE}'; echo 'value ${PLAN_SECRET}'; sleep 60` } }] },
        },
      },
    }),
  );
}

function expectNoSecret(output: string): void {
  expect(output).not.toContain(PLAN_SECRET);
  expect(output).not.toContain(ID_SECRET);
}

async function terraform(...args: string[]): Promise<{ code: number; output: string }> {
  return runScript(`terraform -chdir="${stackDir}" ${args.join(' ')}`, work, env());
}

function planAction(lock: 'true' | 'false', lockTimeout = '0s') {
  return runCompositeAction(PLAN_ACTION, {
    cwd: work,
    inputs: {
      environment: 'dev',
      'stack-dir': stackDir,
      'state-bucket': '',
      lock,
      'lock-timeout': lockTimeout,
      'provider-lock-file': 'stacks/.terraform.lock.hcl',
      tools,
    },
    github: {
      server_url: 'https://github.com',
      repository: 'example-org/usage-billing-platform',
      run_id: '9',
      sha: 'abcdef0123456789abcdef0123456789abcdef01',
    },
    env: env(),
  });
}

const lockRequests = (): string[] => backend.events.filter((e) => e.method === 'LOCK').map((e) => e.lockId ?? '');

let toolsDir: string;
let tools: string;

beforeAll(() => {
  if (spawnSync('terraform', ['version']).status !== 0) throw new Error('terraform is not on PATH: install it (CI: ./.github/actions/setup-terraform)');
  toolsDir = mkdtempSync(join(tmpdir(), 'tf-lock-tools-'));
  tools = join(toolsDir, 'delivery-tools.cjs');
  bundleDeliveryTools(tools);
});

afterAll(() => rmSync(toolsDir, { recursive: true, force: true }));

beforeEach(async () => {
  backend = await startHttpStateBackend();
  work = mkdtempSync(join(tmpdir(), 'tf-lock-'));
  mkdirSync(join(work, stackDir), { recursive: true });
  runnerTemp = join(work, 'runner-temp');
  mkdirSync(runnerTemp);
  writeStack();
});

afterEach(async () => {
  await backend.close();
  rmSync(work, { recursive: true, force: true });
});

describe('review plans', () => {
  test('never take the state lock, so a cancelled one cannot leave it behind', async () => {
    const run = await planAction('false');
    expect(run.failedStep).toBeUndefined();
    expect(run.outputs.exitcode).toBe('2');
    expect(lockRequests()).toEqual([]);
    expect(backend.lock()).toBeUndefined();
  });

  test('still plan while another job holds the lock', async () => {
    backend.holdLock(otherHolder);
    const run = await planAction('false');
    expect(run.failedStep).toBeUndefined();
    expect(run.outputs.changes).toBe('true');
    expect(backend.lock()).toEqual(otherHolder);
  });

  test('the plan an apply job applies takes the lock and waits for a held one', async () => {
    backend.holdLock(otherHolder);
    const run = await planAction('true', '0s');
    expect(run.failedStep).toBe('Terraform plan');
    expect(run.log).toContain('Error acquiring the state lock');
    expect(lockRequests().length).toBeGreaterThan(0);
  });
});

const APPLY_STEP = `exec bash "${join(ROOT, 'delivery', 'terraform-apply.sh')}" "${stackDir}"`;

/** The job's next step, `if: cancelled() || failure()`, reading the lock the backend holds. */
function releaseStep(stepEnv: Record<string, string> = env()) {
  const lockFile = join(runnerTemp, 'backend-lock.json');
  backend.mirrorLockTo(lockFile);
  return runScript(`exec bash "${join(ROOT, 'delivery', 'release-state-lock.sh')}" "${stackDir}"`, work, {
    ...stepEnv,
    LOCK_FILE: lockFile,
    ENVIRONMENT: 'dev',
    TERRAFORM_STOP_WAIT_SECONDS: '60',
  });
}

function realTerraform(): string {
  return spawnSync('bash', ['-c', 'command -v terraform'], { encoding: 'utf8' }).stdout.trim();
}

/** `terraform show -json` of a plan whose variable `seed` (PLAN_SECRET) is sensitive. */
const PLAN_JSON = JSON.stringify({
  format_version: '1.2',
  variables: { seed: { value: PLAN_SECRET } },
  configuration: { root_module: { variables: { seed: { sensitive: true } } } },
});

/** A stand-in `terraform`: `show` prints PLAN_JSON (or fails), `apply` runs `apply`, anything else the real CLI. */
function standIn(apply: string[], show: 'json' | 'fail' = 'json'): string {
  return [
    '#!/usr/bin/env bash',
    show === 'json' ? `if [ "\${2:-}" = show ]; then echo '${PLAN_JSON}'; exit 0; fi` : 'if [ "${2:-}" = show ]; then echo "Error: no plan" >&2; exit 1; fi',
    'if [ "${2:-}" != apply ]; then exec "$REAL_TERRAFORM" "$@"; fi',
    ...apply,
    '',
  ].join('\n');
}

function withStandIn(script: string): Record<string, string> {
  const stubDir = join(work, 'stub-bin');
  mkdirSync(stubDir);
  writeFileSync(join(stubDir, 'terraform'), script, { mode: 0o755 });
  return { ...env(), PATH: `${stubDir}:${env().PATH}`, REAL_TERRAFORM: realTerraform(), STUB_BACKEND: backend.address };
}

/** `terraform` on PATH for one test: `apply` is a 20-second graceful stop (see the test), anything else the real CLI. */
function slowStopStandIn(): string {
  const http = `node -e 'const [m,u,b]=process.argv.slice(1);const r=require("http").request(u,{method:m},(s)=>process.exit(s.statusCode===200?0:1));r.end(b)'`;
  return standIn([
    `lock='{"ID":"stub-lock-0001","Operation":"OperationTypeApply","Info":"","Who":"'"$(id -un)@$(hostname)"'","Version":"1.11.4","Created":"2026-01-01T00:00:00Z","Path":""}'`,
    `${http} LOCK "$STUB_BACKEND/lock" "$lock" || exit 1`,
    `echo '${ID_LINE}'; echo 'value ${PLAN_SECRET}'`,
    'for i in $(seq 1 40); do echo "terraform_data.slow: Still modifying... [${i}]" || exit 141; sleep 0.5; done',
    `${http} POST "$STUB_BACKEND/state" '{"version":4,"stand-in":true}' || exit 1`,
    `${http} UNLOCK "$STUB_BACKEND/lock" "$lock" || exit 1`,
    'echo "Stopped after the operations in flight: state written, lock released." || exit 141',
    'exit 1',
  ]);
}

describe('an apply cancelled the way the runner cancels a step', () => {
  const trackingId = `test-${process.pid}`;

  async function startSlowApply(script: string) {
    const plan = await terraform('init', '-input=false', '-no-color');
    expect(plan.code).toBe(0);
    expect((await terraform('plan', '-input=false', '-no-color', '-lock=false', '-out=tfplan')).code).toBe(0);
    const step = startStep(script, work, env(), trackingId);
    await waitFor(
      () => backend.lock() !== undefined && step.output().includes("Provisioning with 'local-exec'"),
      60_000,
      'the apply to take the lock and start provisioning',
    );
    return step;
  }

  afterEach(() => {
    cleanUpOrphans(trackingId);
  });

  test('through delivery/terraform-apply.sh: terraform gets one interrupt, stops cleanly and releases the lock', async () => {
    const step = await startSlowApply(APPLY_STEP);
    const lockId = backend.lock()!.ID;
    await waitFor(() => step.output().includes('value (masked secret)'), 30_000, 'the provisioner to print the secrets');
    expect(await cancelLikeRunner(step)).toBe('sigint');
    expect(step.output()).toContain('::warning::Cancellation received: sent one interrupt to terraform');
    expect(await step.outputClosed).toBe('closed-by-writers');
    // The job's next step waits for terraform, then reads the lock the backend holds (mirrored into
    // LOCK_FILE as S3 holds <key>.tflock): none of this job's is left.
    const release = await releaseStep();
    expect(release.output).toContain('No lock of this job is left.');
    // Both secrets are in terraform's log, and reach neither step's output.
    const raw = readFileSync(join(runnerTemp, 'terraform-apply.log'), 'utf8');
    expect(raw).toContain(ID_LINE);
    expect(raw).toContain(PLAN_SECRET);
    expectNoSecret(step.output());
    expectNoSecret(release.output);
    expect(step.output()).toContain(MASKED_ID_LINE); // terraform stopped in the step, so the next step prints no log
    expect(release.code).toBe(0);
    cleanUpOrphans(trackingId);
    expect(backend.lock()).toBeUndefined();
    expect(backend.events.filter((e) => e.method === 'UNLOCK').map((e) => e.lockId)).toEqual([lockId]);
    expect(backend.state()).toBeDefined();
  }, 120_000);

  // Review finding M1: terraform used to write to the step's output pipe. Once the step's process
  // has exited, the runner closes those pipes 5 s later, and a terraform still stopping (an
  // in-flight CloudFront update prints "Still modifying..." every 10 s) dies on its next write,
  // before it writes the state and releases the lock. The stand-in below is terraform's graceful
  // stop made long: it holds the backend's lock, prints progress every half second for 20 s,
  // then writes the state and releases the lock; like terraform, it dies on a write to a closed
  // pipe. Terraform's own stop is short here (its local-exec is killed at once), hence the stand-in.
  test("through delivery/terraform-apply.sh: a long graceful stop outlives the step's closed output and still writes the state and releases the lock", async () => {
    const stubEnv = withStandIn(slowStopStandIn());
    const step = startStep(APPLY_STEP, work, stubEnv, trackingId);
    await waitFor(() => backend.lock() !== undefined && step.output().includes('Still modifying'), 30_000, 'the stand-in to take the lock');
    expect(await cancelLikeRunner(step)).toBe('sigint');
    const closed = await step.outputClosed;
    const release = await releaseStep(stubEnv);
    expect(backend.state()).toBe('{"version":4,"stand-in":true}');
    expect(closed).toBe('closed-by-writers'); // nothing of the step holds its pipes after it exits
    expect(release.output).toContain('holds state lock stub-lock-0001 and is stopping');
    expect(release.output).toContain('gh workflow run unlock -f environment=dev -f lock-id=stub-lock-0001');
    expect(release.output).toContain('state written, lock released');
    expect(release.output).toContain('No lock of this job is left.');
    expect(release.code).toBe(0);
    expect(backend.lock()).toBeUndefined();
    expect(backend.events.filter((e) => e.method === 'UNLOCK').map((e) => e.lockId)).toEqual(['stub-lock-0001']);
    expectNoSecret(step.output());
    expectNoSecret(release.output);
    expect(release.output).toContain(MASKED_ID_LINE);
    expect(release.output).toContain('value (masked secret)');
  }, 120_000);

  // The defect, reproduced: the runner signals the step's shell, terraform never hears it, and
  // the job's end kills terraform holding the lock. Every later plan, drift run and apply would
  // then fail on the lock.
  test('a plain `terraform apply` in the step leaves the lock held', async () => {
    const step = await startSlowApply(`terraform -chdir="${stackDir}" apply -input=false -no-color -lock-timeout=5m tfplan\necho applied`);
    const lockId = backend.lock()!.ID;
    await cancelLikeRunner(step);
    expect(trackedProcesses(trackingId).length).toBeGreaterThan(0); // terraform outlived the step
    cleanUpOrphans(trackingId);
    await waitFor(() => trackedProcesses(trackingId).length === 0, 10_000, 'the orphans to die');
    expect(backend.lock()?.ID).toBe(lockId);
    expect(backend.events.filter((e) => e.method === 'UNLOCK')).toEqual([]);
  }, 120_000);
});

describe('the apply log reaches the step output only masked (review finding M4)', () => {
  const secretLines = [`echo '${ID_LINE}'`, `printf 'value ${PLAN_SECRET}\\nApply complete!'`, 'exit 0'];

  test('an apply that finishes: every line masked, the last one without a newline included', async () => {
    const run = await runScript(APPLY_STEP, work, withStandIn(standIn(secretLines)));
    expect(run.code).toBe(0);
    expect(readFileSync(join(runnerTemp, 'terraform-apply.log'), 'utf8')).toContain(PLAN_SECRET);
    expectNoSecret(run.output);
    expect(run.output).toContain(`${MASKED_ID_LINE}\nvalue (masked secret)\nApply complete!`);
    expect(existsSync(join(runnerTemp, 'terraform-apply-secrets.json'))).toBe(false); // removed once terraform is done
  });

  test('without the plan JSON the log is withheld, never printed raw', async () => {
    const run = await runScript(APPLY_STEP, work, withStandIn(standIn(secretLines, 'fail')));
    expect(run.code).toBe(0);
    expectNoSecret(run.output);
    expect(run.output).not.toContain('Apply complete!');
    expect(run.output).toContain('::error::terraform show -json tfplan failed, so the apply log cannot be masked: it is withheld');
  });

  test('release-state-lock.sh without the plan JSON withholds the log', async () => {
    writeFileSync(join(runnerTemp, 'terraform-apply.log'), `${ID_LINE}\nvalue ${PLAN_SECRET}\n`);
    const stillStopping = spawn('sleep', ['2']);
    writeFileSync(join(runnerTemp, 'terraform-apply.pid'), String(stillStopping.pid));
    try {
      const release = await releaseStep();
      expectNoSecret(release.output);
      expect(release.output).toContain("terraform's log cannot be masked: it is withheld");
    } finally {
      stillStopping.kill('SIGKILL');
    }
  });
});

describe('delivery/release-state-lock.sh', () => {
  const release = (lock: LockInfo) => {
    const lockFile = join(runnerTemp, 'lock.json');
    writeFileSync(lockFile, JSON.stringify(lock));
    return runScript(`exec bash "${join(ROOT, 'delivery', 'release-state-lock.sh')}" "${stackDir}"`, work, { ...env(), LOCK_FILE: lockFile });
  };

  beforeEach(async () => {
    expect((await terraform('init', '-input=false', '-no-color')).code).toBe(0);
  });

  test("force-unlocks a lock this job's terraform left when it died", async () => {
    const mine: LockInfo = { ...otherHolder, ID: '99999999-8888-7777-6666-555555555555', Who: `${userInfo().username}@${hostname()}` };
    backend.holdLock(mine);
    const result = await release(mine);
    expect(result.output).toContain(`terraform stopped without releasing lock ${mine.ID}; releasing it`);
    expect(result.code).toBe(0);
    expect(backend.lock()).toBeUndefined();
  });

  // Review finding M2: GitHub force-stops a cancelled job 5 minutes after the cancel, so the wait
  // for terraform must fit in that window, and the way to release the lock must be in the log
  // before the wait, in case the job is stopped during it.
  test('waits for terraform within the 5-minute cancel window, saying first how to release the lock', async () => {
    const script = readFileSync(join(ROOT, 'delivery', 'release-state-lock.sh'), 'utf8');
    const wait = Number(/wait_seconds=\$\{TERRAFORM_STOP_WAIT_SECONDS:-(\d+)\}/.exec(script)?.[1]);
    const applyStepExit = 10; // SIGINT, 7.5 s, SIGTERM, 2.5 s
    const lockReadsAndUnlock = 15;
    expect(applyStepExit + lockReadsAndUnlock + wait).toBeLessThanOrEqual(300 - 60); // a minute of margin

    const mine: LockInfo = { ...otherHolder, ID: '99999999-8888-7777-6666-555555555555', Who: `${userInfo().username}@${hostname()}` };
    backend.holdLock(mine);
    const lockFile = join(runnerTemp, 'lock.json');
    writeFileSync(lockFile, JSON.stringify(mine));
    const stillStopping = spawn('sleep', ['30']);
    writeFileSync(join(runnerTemp, 'terraform-apply.pid'), String(stillStopping.pid));
    try {
      const result = await runScript(`exec bash "${join(ROOT, 'delivery', 'release-state-lock.sh')}" "${stackDir}"`, work, {
        ...env(),
        LOCK_FILE: lockFile,
        ENVIRONMENT: 'prod',
        TERRAFORM_STOP_WAIT_SECONDS: '2',
      });
      const notice = result.output.indexOf(`gh workflow run unlock -f environment=prod -f lock-id=${mine.ID}`);
      expect(notice).toBeGreaterThanOrEqual(0);
      expect(result.output.indexOf('terraform is still running after 2 s')).toBeGreaterThan(notice);
      expect(result.code).toBe(1);
      expect(backend.lock()).toEqual(mine); // a running terraform's lock is never released under it
    } finally {
      stillStopping.kill('SIGKILL');
    }
  });

  test("never touches another holder's lock", async () => {
    backend.holdLock(otherHolder);
    const result = await release(otherHolder);
    expect(result.code).toBe(0);
    expect(result.output).toContain('belongs to another holder than this job');
    expect(backend.lock()).toEqual(otherHolder);
  });
});
