/**
 * CLI: turns `terraform show -json <planfile>` output into the Markdown of the plan comment.
 *
 *   terraform show -json tfplan | npm run --silent plan:render -- --env dev --run-url "$RUN_URL"
 *   npm run --silent plan:render -- --env prod --plan-text plan.txt plan.json
 *   npm run --silent plan:render -- --digest plan.json      # prints the plan's digest only (planDigest)
 *
 * --plan-text FILE adds Terraform's own text of the plan (`terraform show -no-color tfplan`) in a
 * collapsed block, with every secret of the plan masked (delivery/plan-secrets.ts: what Terraform
 * marks sensitive and the attribute paths of delivery/plan-secret-paths.ts). The digest covers
 * every planned value except those secrets (delivery/plan-changes.ts planDigest).
 *
 * Markdown goes to stdout; a one-line reason goes to stderr with exit code 2 on bad input.
 */
import { readFileSync } from 'node:fs';
import { summarizePlan, planDigest } from './plan-changes';
import { parsePlanJson, PlanFormatError, type JsonValue } from './plan-json';
import { DEFAULT_MAX_CHARS, renderPlanMarkdown } from './plan-markdown';
import { collectSecrets, maskText } from './plan-secrets';

interface CliOptions {
  readonly file?: string;
  readonly environment?: string;
  readonly runUrl?: string;
  readonly commit?: string;
  readonly maxChars: number;
  readonly digest: boolean;
  readonly planTextFile?: string;
}

const USAGE =
  'usage: plan:render -- --env NAME [--run-url URL] [--commit SHA] [--plan-text FILE] [--max-chars N] [FILE|-]\n' +
  '       plan:render -- --digest [FILE|-]\n' +
  'Reads `terraform show -json <planfile>` output from FILE or stdin.';

class UsageError extends Error {}

export function parseArgs(argv: readonly string[]): CliOptions {
  let file: string | undefined;
  let environment: string | undefined;
  let runUrl: string | undefined;
  let commit: string | undefined;
  let maxChars = DEFAULT_MAX_CHARS;
  let digest = false;
  let planTextFile: string | undefined;
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    switch (arg) {
      case '--env':
        environment = value(i++, arg);
        if (!/^[a-z][a-z0-9-]*$/.test(environment)) {
          throw new UsageError(`--env must be a lowercase environment name such as dev, got "${environment}"`);
        }
        break;
      case '--run-url':
        runUrl = value(i++, arg);
        if (!/^https:\/\/\S+$/.test(runUrl)) throw new UsageError(`--run-url must be an https URL, got "${runUrl}"`);
        break;
      case '--commit':
        commit = value(i++, arg);
        if (!/^[0-9a-f]{7,40}$/.test(commit)) throw new UsageError(`--commit must be a hex commit id, got "${commit}"`);
        break;
      case '--max-chars': {
        const raw = value(i++, arg);
        maxChars = Number(raw);
        if (!Number.isInteger(maxChars) || maxChars < 1000 || maxChars > 1_000_000) {
          throw new UsageError(`--max-chars must be an integer from 1000 to 1000000, got "${raw}"`);
        }
        break;
      }
      case '--digest':
        digest = true;
        break;
      case '--plan-text':
        planTextFile = value(i++, arg);
        break;
      case '--help':
      case '-h':
        throw new UsageError('');
      default:
        if (arg.startsWith('--')) throw new UsageError(`unknown option ${arg}`);
        if (file !== undefined) throw new UsageError(`only one plan file may be given, got "${file}" and "${arg}"`);
        file = arg;
    }
  }
  if (!digest && environment === undefined) throw new UsageError('--env is required (it titles the comment and names its marker)');
  return { file, environment, runUrl, commit, maxChars, digest, planTextFile };
}

function readInput(file: string | undefined): string {
  if (file === undefined || file === '-') {
    if (process.stdin.isTTY) throw new UsageError('no plan JSON on stdin; pipe `terraform show -json tfplan` or give a file');
    return readFileSync(0, 'utf8');
  }
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

export function main(argv: readonly string[]): number {
  try {
    const options = parseArgs(argv);
    const json = readInput(options.file);
    const plan = parsePlanJson(json);
    if (options.digest) {
      process.stdout.write(`${planDigest(plan)}\n`);
      return 0;
    }
    // Every secret of the plan (Terraform's marks and delivery/plan-secret-paths.ts) is masked in
    // the plan text before it is cut to the budget, and in the finished comment.
    const secrets = collectSecrets(JSON.parse(json) as JsonValue);
    const planText = options.planTextFile === undefined ? undefined : maskText(readInput(options.planTextFile), secrets);
    const markdown = renderPlanMarkdown(summarizePlan(plan), {
      environment: options.environment ?? '',
      runUrl: options.runUrl,
      commit: options.commit,
      maxChars: options.maxChars,
      planText,
      digest: planDigest(plan),
    });
    process.stdout.write(maskText(markdown, secrets));
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      if (error.message === '') {
        process.stdout.write(`${USAGE}\n`);
        return 0;
      }
      process.stderr.write(`plan:render: ${error.message}\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof PlanFormatError || error instanceof RangeError) {
      process.stderr.write(`plan:render: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
