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
 *
 * --lines streams: each line is written, masked, as soon as it is complete, and a last line without
 * a newline at the end of the input (for a log that is still being written, such as the apply log
 * delivery/terraform-apply.sh follows). A secret never spans lines in Terraform's output: the plan
 * text prints each line of a multi-line secret on its own line, and those lines are masked too.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { JsonValue } from './plan-json';
import { collectSecrets, emptySecrets, maskText, textMasker, type Secrets } from './plan-secrets';
import { runCli } from './run-cli';

const USAGE =
  'usage: plan:mask -- --secrets-from FILE [--secrets-from FILE ...] [--lines] [TEXT_FILE|-]\n' +
  'FILE is `terraform show -json` of a plan or of the state; the text is read from TEXT_FILE or stdin and written masked to stdout\n' +
  '(with --lines, line by line as it arrives).';

class UsageError extends Error {}

/** Writes each complete line of `input`, masked, as it arrives; then the rest after the last newline. */
export async function maskLines(input: AsyncIterable<string | Buffer>, secrets: Secrets, out: (s: string) => void): Promise<void> {
  const mask = textMasker(secrets);
  const decoder = new StringDecoder('utf8');
  let pending = '';
  for await (const chunk of input) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    const end = pending.lastIndexOf('\n');
    if (end < 0) continue;
    out(mask(pending.slice(0, end + 1)));
    pending = pending.slice(end + 1);
  }
  pending += decoder.end();
  if (pending !== '') out(mask(pending));
}

function read(file: string, what: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

export async function main(
  argv: readonly string[],
  out: (s: string) => void,
  err: (s: string) => void,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<number> {
  try {
    const sources: string[] = [];
    let textFile: string | undefined;
    let lines = false;
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i];
      if (arg === '--help' || arg === '-h') {
        out(`${USAGE}\n`);
        return 0;
      }
      if (arg === '--lines') lines = true;
      else if (arg === '--secrets-from') {
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
    if (textFile === undefined && (stdin as { isTTY?: boolean }).isTTY) throw new UsageError('no text on stdin; give a file or pipe the text');
    if (lines) {
      const input = textFile === undefined || textFile === '-' ? stdin : createReadStream(textFile);
      try {
        await maskLines(input, secrets, out);
      } catch (error) {
        throw new UsageError(`cannot read text ${textFile ?? '-'}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
      return 0;
    }
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
