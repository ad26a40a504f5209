/**
 * CLI: masks every secret of a plan or state in a text before it reaches a log, a file or a comment.
 *
 *   terraform plan -no-color -out=tfplan > "$out" 2>&1
 *   terraform show -json tfplan > plan.json
 *   npm run --silent plan:mask -- --secrets-from plan.json "$out"
 *
 * --secrets-from FILE (repeatable) is `terraform show -json` of a plan file or of the state
 * (`terraform show -json` with no plan file); the secrets are those delivery/plan-secrets.ts finds.
 * The text comes from TEXT_FILE or stdin and goes, masked, to stdout; lines that print the id of a
 * type whose id is a secret are masked too. Nothing is written unless every input was read: on bad
 * input a one-line reason goes to stderr with exit code 2.
 */
import { readFileSync } from 'node:fs';
import type { JsonValue } from './plan-json';
import { collectSecrets, emptySecrets, maskText } from './plan-secrets';
import { runCli } from './run-cli';

const USAGE =
  'usage: plan:mask -- --secrets-from FILE [--secrets-from FILE ...] [TEXT_FILE|-]\n' +
  'FILE is `terraform show -json` of a plan or of the state; the text is read from TEXT_FILE or stdin and written masked to stdout.';

class UsageError extends Error {}

function read(file: string, what: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

export async function main(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  try {
    const sources: string[] = [];
    let textFile: string | undefined;
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i];
      if (arg === '--help' || arg === '-h') {
        out(`${USAGE}\n`);
        return 0;
      }
      if (arg === '--secrets-from') {
        const v = argv[++i];
        if (v === undefined || v.startsWith('--')) throw new UsageError('--secrets-from needs a file');
        sources.push(v);
      } else if (arg.startsWith('--')) throw new UsageError(`unknown option ${arg}`);
      else if (textFile !== undefined) throw new UsageError(`only one text file may be given, got "${textFile}" and "${arg}"`);
      else textFile = arg;
    }
    if (sources.length === 0) throw new UsageError('--secrets-from is required: without the plan or state JSON no secret is known');
    const secrets = emptySecrets();
    for (const file of sources) {
      let doc: JsonValue;
      const text = read(file, 'secrets file');
      try {
        doc = JSON.parse(text) as JsonValue;
      } catch (error) {
        throw new UsageError(`${file} is not JSON (${(error as Error).message}); give the output of terraform show -json`);
      }
      if (doc === null || typeof doc !== 'object' || Array.isArray(doc) || typeof doc.format_version !== 'string') {
        throw new UsageError(`${file} has no "format_version": it is not the output of terraform show -json`);
      }
      collectSecrets(doc, undefined, secrets);
    }
    if (textFile === undefined && process.stdin.isTTY) throw new UsageError('no text on stdin; give a file or pipe the text');
    const text = read(textFile ?? '-', 'text');
    out(maskText(text, secrets));
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      err(`plan:mask: ${error.message}\n${USAGE}\n`);
      return 2;
    }
    throw error;
  }
}

if (require.main === module) runCli(main);
