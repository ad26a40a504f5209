/**
 * `npm run verify:terraform`: the engine check for every stack (check.ts), then a report: what was
 * rewritten and why, which moto limitations were met, resources created and destroyed, the second
 * plan, the usage run, and the time. Exit code 0 when every stack passed; 1 with one line per
 * failure otherwise. Options: --stack NAME (repeatable; default every stack), --concurrency N
 * (stacks at once, default all), --work-dir DIR (default .gen/terraform-check).
 */
import { parseArgs } from 'node:util';
import { repoPath } from '../stacks/shared/repo';
import { runTerraformCheck } from './check';
import { findPluginMirror } from './plugin-mirror';
import { renderReport } from './report';

const out = (line = '') => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { concurrency: { type: 'string' }, 'work-dir': { type: 'string' }, stack: { type: 'string', multiple: true } },
    strict: true,
  });
  const mirror = findPluginMirror();
  if (typeof mirror === 'string') {
    err(mirror);
    return 1;
  }
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency > 0)) {
    err(`verify:terraform: --concurrency must be a positive whole number, got "${values.concurrency}"`);
    return 1;
  }
  const report = await runTerraformCheck({
    workDir: values['work-dir'] ?? repoPath('.gen', 'terraform-check'),
    mirror,
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(values.stack !== undefined ? { only: values.stack } : {}),
    progress: (line) => err(`verify:terraform: ${line}`),
  });
  for (const line of renderReport(report)) out(line);
  const checked = report.stacks.map((s) => s.stack);
  out(`verify:terraform: ${checked.length} of ${report.expectedStacks.length} stacks passed (${checked.join(', ') || 'none'}) in ${report.seconds} s`);
  for (const failure of report.failures) err(`verify:terraform: FAILED ${failure}`);
  return report.failures.length === 0 && checked.length === report.expectedStacks.length ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    err(`verify:terraform: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
