/**
 * Review finding m4: the unlock job shared the apply queue (apply-<env>), so a pending unlock
 * replaced a pending apply (or the next merge replaced it) and it waited behind a prod run waiting
 * for approval. It now has a queue of its own and refuses only while `apply <env>` is running.
 * Run here against an in-memory GitHub API.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScript } from '../test-support/composite-action';
import { startFakeGitHub, type FakeGitHub } from './testing/fake-github';

const SCRIPT = join(__dirname, 'no-apply-running.sh');

let fake: FakeGitHub;
let dir: string;
beforeEach(async () => {
  fake = await startFakeGitHub();
  dir = mkdtempSync(join(tmpdir(), 'no-apply-running-'));
});
afterEach(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

const check = (environment: string) =>
  runScript(`bash "${SCRIPT}" ${environment}`, dir, {
    PATH: process.env.PATH ?? '',
    GITHUB_REPOSITORY: 'example-org/usage-billing-platform',
    GITHUB_API_URL: fake.apiUrl,
    GH_TOKEN: 'test-token',
  });

const job = (name: string, status: string) => ({ name, status, html_url: `https://github.com/x/y/actions/runs/1/job/${name.replace(' ', '-')}` });

test('refuses while apply <env> is running, naming the job', async () => {
  fake.applyRuns.push({ id: 5, status: 'in_progress', jobs: [job('head of main', 'completed'), job('apply prod', 'in_progress')] });
  const result = await check('prod');
  expect(result.code).toBe(1);
  expect(result.output).toContain('::error title=Not unlocked::apply prod is running (https://github.com/x/y/actions/runs/1/job/apply-prod)');
});

test('passes while only another environment applies, or a prod job waits for approval', async () => {
  fake.applyRuns.push({ id: 5, status: 'in_progress', jobs: [job('apply dev', 'in_progress'), job('apply prod', 'waiting')] });
  fake.applyRuns.push({ id: 6, status: 'waiting', jobs: [job('apply prod', 'waiting')] });
  const result = await check('prod');
  expect(result.output).toContain('No job apply prod is running.');
  expect(result.code).toBe(0);
});

test('fails when GitHub cannot be asked', async () => {
  const result = await runScript(`bash "${SCRIPT}" prod`, dir, {
    PATH: process.env.PATH ?? '',
    GITHUB_REPOSITORY: 'o/r',
    GITHUB_API_URL: fake.apiUrl,
    GH_TOKEN: 'wrong',
  });
  expect(result.code).not.toBe(0);
});
