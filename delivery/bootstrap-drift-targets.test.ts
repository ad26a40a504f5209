/** The drift workflow's bootstrap matrix: every synthesized bootstrap stack, with its account's read-only drift role. */
import { platformConfig } from '../config/environments';
import { synthPlatform } from '../stacks/testing/synth-platform';
import { bootstrapDriftJobs } from './bootstrap-drift-targets';

test('one job per bootstrap stack, the tooling account first, each with the drift role of its own account', () => {
  const jobs = bootstrapDriftJobs(platformConfig);
  const accounts = [...new Set([platformConfig.bootstrap.accountId, ...platformConfig.environments.map((e) => e.accountId)])];
  expect(jobs.map((j) => j.accountId)).toEqual(accounts);
  expect(jobs[0].stack).toBe('bootstrap');
  for (const job of jobs) {
    expect(job.roleArn).toBe(`arn:aws:iam::${job.accountId}:role/${platformConfig.bootstrap.prefix}-github-bootstrap-drift`);
    expect(job.region).toBe(platformConfig.bootstrap.region);
    expect(job.stackDir).toBe(`cdktf.out/stacks/${job.stack}`);
  }
  expect(jobs.map((j) => j.stack).slice(1)).toEqual(accounts.slice(1).map((a) => `bootstrap-${a}`));
  // The stacks exist under those names when the platform is synthesized (a leftover cdktf.out proves nothing).
  const stacks = [...synthPlatform(platformConfig).keys()];
  for (const job of jobs) expect(stacks).toContain(job.stack);
});
