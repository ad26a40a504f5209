/**
 * Runs the terraform CLI for one stack's test copy: `terraform -chdir=<dir> <args>`, output kept in
 * <dir>/logs/<step>.log, a failure turned into one message that names each error diagnostic's
 * resource. Commands that support it run with -json, Terraform's machine-readable UI
 * (https://developer.hashicorp.com/terraform/internals/machine-readable-ui): one JSON object per
 * line, `diagnostic` and `change_summary` messages among them.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TerraformContext {
  /** The test copy's directory (holds cdk.tf.json). */
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly stack: string;
  /**
   * Record the provider's AWS calls: each step runs with TF_LOG_PROVIDER=DEBUG and
   * TF_LOG_PATH=<dir>/logs/<step>.provider.log (https://developer.hashicorp.com/terraform/internals/debugging).
   */
  readonly recordCalls?: boolean;
}

/** Where a step's provider debug log goes when the context records calls. */
export function providerLogPath(ctx: Pick<TerraformContext, 'dir'>, step: string): string {
  return join(ctx.dir, 'logs', `${step}.provider.log`);
}

export interface TerraformRun {
  readonly stdout: string;
  readonly stderr: string;
}

export interface ChangeSummary {
  readonly add: number;
  readonly change: number;
  readonly remove: number;
}

interface UiMessage {
  readonly type?: string;
  readonly diagnostic?: { readonly severity?: string; readonly summary?: string; readonly detail?: string; readonly address?: string };
  readonly changes?: { readonly add?: number; readonly change?: number; readonly remove?: number };
}

function uiMessages(stdout: string): UiMessage[] {
  const out: UiMessage[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as UiMessage);
    } catch {
      // not a UI message
    }
  }
  return out;
}

/** Error diagnostics of a -json run (or of `validate -json`'s single document), one line each. */
export function errorDiagnostics(stdout: string): string[] {
  const diagnostics: NonNullable<UiMessage['diagnostic']>[] = [];
  const trimmed = stdout.trim();
  if (trimmed.startsWith('{') && !trimmed.includes('\n')) {
    const doc = JSON.parse(trimmed) as { diagnostics?: NonNullable<UiMessage['diagnostic']>[] };
    if (Array.isArray(doc.diagnostics)) diagnostics.push(...doc.diagnostics);
  }
  for (const m of uiMessages(stdout)) if (m.type === 'diagnostic' && m.diagnostic) diagnostics.push(m.diagnostic);
  return diagnostics
    .filter((d) => d.severity === 'error')
    .map((d) => [d.address, d.summary, d.detail?.split('\n').find((l) => l.trim() !== '')].filter((p) => p !== undefined && p !== '').join(': '));
}

/** The last change_summary of an apply or destroy run with -json. */
export function changeSummary(stdout: string): ChangeSummary | undefined {
  const summaries = uiMessages(stdout).filter((m) => m.type === 'change_summary' && m.changes);
  const last = summaries[summaries.length - 1]?.changes;
  return last === undefined ? undefined : { add: last.add ?? 0, change: last.change ?? 0, remove: last.remove ?? 0 };
}

export class TerraformError extends Error {}

/** Runs terraform; resolves on exit code 0 (or one of `okCodes`), throws TerraformError otherwise. */
export function terraform(
  ctx: TerraformContext,
  step: string,
  args: readonly string[],
  okCodes: readonly number[] = [0],
): Promise<TerraformRun & { code: number }> {
  const logDir = join(ctx.dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  return new Promise((resolve, reject) => {
    const env = ctx.recordCalls ? { ...ctx.env, TF_LOG_PROVIDER: 'DEBUG', TF_LOG_PATH: providerLogPath(ctx, step) } : ctx.env;
    if (ctx.recordCalls) rmSync(providerLogPath(ctx, step), { force: true });
    const child = spawn('terraform', [`-chdir=${ctx.dir}`, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (error) =>
      reject(new TerraformError(`${ctx.stack}: terraform ${step} could not start (${error.message}); is terraform on PATH? (.ci/run prints its version)`)),
    );
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      writeFileSync(join(logDir, `${step}.log`), `$ terraform ${args.join(' ')}\n${stdout}\n--- stderr\n${stderr}`);
      const exit = code ?? -1;
      if (okCodes.includes(exit)) {
        resolve({ stdout, stderr, code: exit });
        return;
      }
      const errors = errorDiagnostics(stdout);
      const detail = errors.length > 0 ? errors.join(' | ') : (stderr.trim() || stdout.trim()).split('\n').slice(-5).join(' | ');
      reject(new TerraformError(`${ctx.stack}: terraform ${step} exited ${exit}: ${detail} (log: ${join(logDir, `${step}.log`)})`));
    });
  });
}
