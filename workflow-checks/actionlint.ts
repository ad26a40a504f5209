/**
 * Runs actionlint (https://github.com/rhysd/actionlint), the GitHub Actions workflow linter: YAML
 * syntax, workflow schema, expression syntax and types, contexts available per key, `needs`, matrix,
 * action inputs (local composite actions included) and, when shellcheck is on PATH, `run:` scripts.
 * .ci/run installs it into .gen/bin with `go install`; a missing binary is an error, never a skip.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const ACTIONLINT_VERSION = '1.7.12';
const REPO_ROOT = join(__dirname, '..');
const LOCAL_BINARY = join(REPO_ROOT, '.gen', 'bin', 'actionlint');

export function actionlintBinary(): string {
  if (existsSync(LOCAL_BINARY)) return LOCAL_BINARY;
  const onPath = spawnSync('actionlint', ['-version'], { encoding: 'utf8' });
  if (onPath.status === 0) return 'actionlint';
  throw new Error(
    `actionlint is not installed: run bash .ci/run, or GOBIN=$PWD/.gen/bin go install github.com/rhysd/actionlint/cmd/actionlint@v${ACTIONLINT_VERSION}`,
  );
}

export interface LintResult {
  readonly ok: boolean;
  /** One line per problem: file:line:col: message [rule]. */
  readonly problems: string[];
}

/** Lints the given workflow files (paths relative to the repository root). */
export function actionlint(files: readonly string[]): LintResult {
  const result = spawnSync(actionlintBinary(), ['-no-color', '-oneline', ...files], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw result.error;
  const problems = `${result.stdout}${result.stderr}`.split('\n').filter((l) => l.trim() !== '');
  // Exit codes: 0 no problem, 1 problems found, 2 invalid command line, 3 fatal error.
  if (result.status !== 0 && result.status !== 1) throw new Error(`actionlint failed (exit ${result.status}): ${problems.join('\n')}`);
  return { ok: result.status === 0, problems };
}

/** The installed actionlint's version, e.g. "1.7.12". */
export function actionlintVersion(): string {
  const result = spawnSync(actionlintBinary(), ['-version'], { encoding: 'utf8' });
  return /^v?(\d+\.\d+\.\d+)/.exec(result.stdout.trim())?.[1] ?? `unknown (${result.stdout.trim()})`;
}
