/**
 * Every job that assumes a deploy role runs within the role's session limit: max_session_duration
 * >= the job's timeout-minutes + GitHub's cancel window (session-limits.ts). Reads the workflows
 * as committed, so raising a job's timeout without raising the role's limit fails here. The
 * session each job asks for (role-duration-seconds, one hour when unset) must fit in the role's
 * limit and cover the job and the cancel window too. The synthesized roles carry SESSION_SECONDS (bootstrap-stack.test.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../shared/repo';
import { MAX_SESSION_SECONDS, MIN_SESSION_SECONDS, SESSION_SECONDS, sessionSecondsNeeded, type SessionRole } from './session-limits';

const WORKFLOWS = join(REPO_ROOT, '.github', 'workflows');
const CREDENTIALS_ACTION = 'aws-actions/configure-aws-credentials';
/**
 * A step without role-duration-seconds gets a one-hour session whatever the role allows
 * (AssumeRoleWithWebIdentity DurationSeconds defaults to 3600,
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html; the
 * action's own default is 1 hour for OIDC), so the role's limit alone proves nothing.
 */
const OIDC_DEFAULT_SESSION_SECONDS = 3600;

/**
 * How a job names the role it assumes: the repository variables holding each role's ARN
 * (AWS_<KIND>_ROLE_ARN_<ENV>, docs/delivery.md), or for the bootstrap drift job the role's name
 * (<prefix>-github-bootstrap-drift, whose ARN the job may derive from the configuration).
 */
const ROLE_VARIABLES: Readonly<Record<string, SessionRole>> = {
  AWS_PLAN_ROLE_ARN: 'plan',
  AWS_APPLY_ROLE_ARN: 'apply',
  AWS_USAGE_ROLE_ARN: 'usageJob',
  AWS_BOOTSTRAP_DRIFT_ROLE_ARN: 'bootstrapDrift',
  'github-bootstrap-drift': 'bootstrapDrift',
};

interface Step {
  readonly uses?: string;
  readonly with?: Record<string, unknown>;
}
interface Job {
  readonly 'timeout-minutes'?: unknown;
  readonly steps?: readonly Step[];
}

interface CredentialedJob {
  readonly where: string;
  readonly role: SessionRole;
  readonly timeoutMinutes: number;
  /** role-duration-seconds of each credentials step; OIDC_DEFAULT_SESSION_SECONDS where a step sets none. */
  readonly requestedSeconds: readonly number[];
}

/** Every job that assumes a role, with the role it assumes; throws naming a job it cannot place. */
function credentialedJobs(files: readonly { readonly name: string; readonly text: string }[]): CredentialedJob[] {
  return files.flatMap(({ name, text }) => {
    const jobs = ((parse(text) as { jobs?: Record<string, Job> }).jobs ?? {}) as Record<string, Job>;
    return Object.entries(jobs).flatMap(([id, job]) => {
      const credentialSteps = (job.steps ?? []).filter((s) => s.uses?.startsWith(`${CREDENTIALS_ACTION}@`) === true);
      if (credentialSteps.length === 0) return [];
      const where = `${name} job ${id}`;
      const roles = [
        ...new Set(
          Object.entries(ROLE_VARIABLES)
            .filter(([variable]) => JSON.stringify(job).includes(variable))
            .map(([, role]) => role),
        ),
      ];
      if (roles.length !== 1) {
        throw new Error(
          `${where} assumes a role but names ${roles.length === 0 ? 'no' : 'several'} role variables (${Object.keys(ROLE_VARIABLES).join(', ')})`,
        );
      }
      const timeout = job['timeout-minutes'];
      if (typeof timeout !== 'number') throw new Error(`${where} assumes a role without a numeric timeout-minutes (GitHub's default is 360 minutes)`);
      const requestedSeconds = credentialSteps.map((s) => {
        const value = s.with?.['role-duration-seconds'];
        if (value === undefined) return OIDC_DEFAULT_SESSION_SECONDS;
        if (typeof value !== 'number') throw new Error(`${where}: role-duration-seconds must be a number of seconds, got ${JSON.stringify(value)}`);
        return value;
      });
      return [{ where, role: roles[0], timeoutMinutes: timeout, requestedSeconds }];
    });
  });
}

const files = readdirSync(WORKFLOWS)
  .filter((f) => /\.ya?ml$/.test(f))
  .map((f) => ({ name: f, text: readFileSync(join(WORKFLOWS, f), 'utf8') }));
const jobs = credentialedJobs(files);

describe('deploy role sessions', () => {
  test('every role kind is assumed by some job (the check reads real workflows)', () => {
    expect(new Set(jobs.map((j) => j.role))).toEqual(
      new Set(['plan', 'apply', 'usageJob', ...(jobs.some((j) => j.role === 'bootstrapDrift') ? ['bootstrapDrift'] : [])]),
    );
  });

  test.each(jobs.map((j) => [j.where, j] as const))('%s: its role outlasts the job and the cancel window', (_where, job) => {
    const limit = SESSION_SECONDS[job.role];
    expect({ job: job.where, role: job.role, enough: limit >= sessionSecondsNeeded(job.timeoutMinutes) }).toEqual({
      job: job.where,
      role: job.role,
      enough: true,
    });
    for (const requested of job.requestedSeconds) {
      expect({ job: job.where, requested, withinRole: requested <= limit, coversJob: requested >= sessionSecondsNeeded(job.timeoutMinutes) }).toEqual({
        job: job.where,
        requested,
        withinRole: true,
        coversJob: true,
      });
    }
  });

  test('every limit is one IAM accepts', () => {
    for (const seconds of Object.values(SESSION_SECONDS)) expect(seconds >= MIN_SESSION_SECONDS && seconds <= MAX_SESSION_SECONDS).toBe(true);
  });

  test('raising a timeout without the role fails (the check can fail)', () => {
    const workflow = (minutes: number, extra = '') => ({
      name: 'apply.yml',
      text: `jobs:\n  dev:\n    timeout-minutes: ${minutes}\n    env:\n      ROLE_ARN: \${{ vars.AWS_APPLY_ROLE_ARN_DEV }}\n    steps:\n      - uses: ${CREDENTIALS_ACTION}@abc\n        with:\n          role-to-assume: x${extra}\n`,
    });
    const [long] = credentialedJobs([workflow(90)]);
    expect(SESSION_SECONDS[long.role] >= sessionSecondsNeeded(long.timeoutMinutes)).toBe(false);
    expect(credentialedJobs([workflow(60, '\n          role-duration-seconds: 3900')])[0].requestedSeconds).toEqual([3900]);
    // Unset, the session is STS's one hour: too short for a 60-minute job and its cancel window.
    const [unset] = credentialedJobs([workflow(60)]);
    expect(unset.requestedSeconds).toEqual([3600]);
    expect(unset.requestedSeconds[0] >= sessionSecondsNeeded(unset.timeoutMinutes)).toBe(false);
    expect(() => credentialedJobs([{ name: 'x.yml', text: `jobs:\n  a:\n    steps:\n      - uses: ${CREDENTIALS_ACTION}@abc\n` }])).toThrow(
      'x.yml job a assumes a role but names no role variables',
    );
  });
});
