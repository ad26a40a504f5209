/**
 * Defect: "Re-run the workflow" applied the re-run's own, older commit (dev with no gate at all),
 * rolling back what was merged since. delivery/head-of-main.sh refuses every commit but the head
 * of main, saying why; the apply workflow runs it before entering an apply queue and again right
 * before each apply. Run here against an in-memory GitHub API.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScript } from '../test-support/composite-action';
import { startFakeGitHub, type FakeGitHub } from './testing/fake-github';

const SCRIPT = join(__dirname, 'head-of-main.sh');
const HEAD = '2222222222222222222222222222222222222222';
const OLD = '1111111111111111111111111111111111111111';

let fake: FakeGitHub;
let dir: string;
beforeAll(async () => {
  fake = await startFakeGitHub();
  fake.branches.set('main', HEAD);
  dir = mkdtempSync(join(tmpdir(), 'head-of-main-'));
});
afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

async function check(sha: string, ref = 'refs/heads/main') {
  const output = join(dir, `output-${sha.slice(0, 4)}-${ref.length}`);
  writeFileSync(output, '');
  const result = await runScript(`bash "${SCRIPT}"`, dir, {
    PATH: process.env.PATH ?? '',
    GITHUB_SHA: sha,
    GITHUB_REF: ref,
    GITHUB_REPOSITORY: 'example-org/usage-billing-platform',
    GITHUB_API_URL: fake.apiUrl,
    GITHUB_OUTPUT: output,
    GH_TOKEN: 'test-token',
  });
  return { ...result, outputs: readFileSync(output, 'utf8') };
}

test('the head of main passes', async () => {
  const result = await check(HEAD);
  expect(result.code).toBe(0);
  expect(result.output).toContain('222222222222 is the head of main.');
  expect(result.outputs).toBe('');
});

test('a re-run of an older commit is refused, saying what would be rolled back and what to do', async () => {
  const result = await check(OLD);
  expect(result.code).toBe(1);
  expect(result.output).toContain('::error title=Not applied::this run is for 111111111111, but main is now at 222222222222');
  expect(result.output).toContain('would roll back what was merged since');
  expect(result.output).toContain('gh workflow run apply');
  expect(result.outputs).toMatch(/^refused=this run is for 111111111111/);
});

test('a dispatch from another branch is refused', async () => {
  const result = await check(HEAD, 'refs/heads/feature');
  expect(result.code).toBe(1);
  expect(result.output).toContain('apply runs only for main; this run is for refs/heads/feature');
});
