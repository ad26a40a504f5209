/** The drift workflow's bootstrap matrix: every synthesized bootstrap stack, with its account's read-only drift role. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { platformConfig } from '../config/environments';
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
  // The stacks exist under those names when synthesized (npm run synth writes cdktf.out).
  if (existsSync(join(__dirname, '..', 'cdktf.out', 'stacks'))) {
    for (const job of jobs) expect(existsSync(join(__dirname, '..', job.stackDir, 'cdk.tf.json'))).toBe(true);
  }
});
