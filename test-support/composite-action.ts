/**
 * Runs the `run:` steps of a composite action (.github/actions/<name>/action.yml) the way the runner
 * does: each step in `bash --noprofile --norc -e -o pipefail`, with the step's `env:` resolved from
 * the given inputs and github context, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, and stops at the
 * first failing step. Asynchronous, so a test can serve HTTP (a state backend) in the same process.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export interface ActionStep {
  readonly name: string;
  readonly id?: string;
  readonly run?: string;
  readonly env?: Record<string, string>;
}

export function compositeSteps(actionFile: string): ActionStep[] {
  return (parse(readFileSync(actionFile, 'utf8')) as { runs: { steps: ActionStep[] } }).runs.steps;
}

export interface ExpressionContext {
  readonly inputs: Readonly<Record<string, string>>;
  /** Flat github context, e.g. { server_url, repository, run_id, sha, 'event.pull_request.head.sha' }. */
  readonly github: Readonly<Record<string, string>>;
}

function valueOf(term: string, ctx: ExpressionContext): string {
  const t = term.trim();
  if (t.startsWith('inputs.')) return ctx.inputs[t.slice('inputs.'.length)] ?? '';
  if (t.startsWith('github.')) return ctx.github[t.slice('github.'.length)] ?? '';
  const quoted = /^'(.*)'$/.exec(t);
  if (quoted) return quoted[1];
  throw new Error(`expression term not supported by the test runner: ${t}`);
}

/** Resolves `${{ inputs.x }}`, `${{ github.y }}` and `${{ a || b }}` inside a string. */
export function resolveExpressions(text: string, ctx: ExpressionContext): string {
  return text.replace(/\$\{\{(.*?)\}\}/g, (_, expr: string) => {
    for (const term of expr.split('||')) {
      const v = valueOf(term, ctx);
      if (v !== '') return v;
    }
    return '';
  });
}

export interface StepsRun {
  readonly outputs: Record<string, string>;
  readonly summary: string;
  readonly log: string;
  /** Name of the step that failed, if any. */
  readonly failedStep?: string;
}

export interface RunOptions extends ExpressionContext {
  readonly cwd: string;
  /** Extra process environment (PATH, HOME, RUNNER_TEMP ...). */
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

export function runScript(script: string, cwd: string, env: Readonly<Record<string, string>>, timeoutMs = 120_000): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-e', '-o', 'pipefail', '-c', script], { cwd, env: { ...env } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : -1), output });
    });
  });
}

export async function runCompositeAction(actionFile: string, options: RunOptions): Promise<StepsRun> {
  const outputFile = join(options.cwd, 'github-output');
  const summaryFile = join(options.cwd, 'step-summary');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  let log = '';
  let failedStep: string | undefined;
  for (const step of compositeSteps(actionFile)) {
    const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, resolveExpressions(String(v), options)]));
    const result = await runScript(
      step.run ?? '',
      options.cwd,
      { ...options.env, ...stepEnv, GITHUB_OUTPUT: outputFile, GITHUB_STEP_SUMMARY: summaryFile },
      options.timeoutMs,
    );
    log += `## ${step.name}\n${result.output}`;
    if (result.code !== 0) {
      failedStep = step.name;
      break;
    }
  }
  const outputs = Object.fromEntries(
    readFileSync(outputFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return { outputs, summary: readFileSync(summaryFile, 'utf8'), log, ...(failedStep !== undefined ? { failedStep } : {}) };
}
