/**
 * Stores a usage run's invoice lines as the invoice of record: one new object in the environment's
 * usage bucket (versioned, no expiry of current objects) per run and month, named by the run id
 * (contracts/invoices.ts), written with If-None-Match: * so an existing invoice is never replaced
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html); the usage-job
 * role is also denied any put under invoices/ without that header (stacks/bootstrap/deploy-roles.ts).
 *
 *   npm run --silent usage:store-invoice -- --env prod --month 2026-11 --file invoice.csv \
 *     --run-id "$GITHUB_RUN_ID" --run-attempt "$GITHUB_RUN_ATTEMPT" --commit "$GITHUB_SHA"
 *
 * Prints the s3:// address on stdout; exits 1 with one line on failure, 2 on bad arguments.
 */
import { readFileSync } from 'node:fs';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { invoiceObjectKey } from '../contracts/invoices';
import { resourceNames } from '../contracts/resource-names';
import { platformConfig } from '../config/environments';

/** The one S3 call this needs, so tests can record it. */
export interface InvoiceBucket {
  send(command: PutObjectCommand): Promise<unknown>;
}

export interface InvoiceRecord {
  readonly environment: string;
  readonly month: string;
  readonly body: string;
  readonly runId: string;
  readonly runAttempt: string;
  readonly commit: string;
}

export async function storeInvoice(s3: InvoiceBucket, bucket: string, record: InvoiceRecord): Promise<string> {
  const key = invoiceObjectKey(record.environment, record.month, record.runId, record.runAttempt);
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: record.body,
        ContentType: 'text/csv; charset=utf-8',
        IfNoneMatch: '*',
        Metadata: { 'run-id': record.runId, 'run-attempt': record.runAttempt, commit: record.commit },
      }),
    );
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'PreconditionFailed') throw new Error(`s3://${bucket}/${key} already exists; an invoice of record is never replaced`, { cause: error });
    throw error;
  }
  return `s3://${bucket}/${key}`;
}

class UsageError extends Error {}

export async function main(argv: readonly string[], out: (s: string) => void, err: (s: string) => void, s3?: InvoiceBucket): Promise<number> {
  try {
    const f = new Map<string, string>();
    for (let i = 0; i < argv.length; i += 2) {
      if (!argv[i].startsWith('--') || argv[i + 1] === undefined) throw new UsageError(`expected --flag value pairs, got "${argv.slice(i).join(' ')}"`);
      f.set(argv[i].slice(2), argv[i + 1]);
    }
    const need = (name: string): string => {
      const v = f.get(name);
      if (v === undefined || v === '') throw new UsageError(`--${name} is required`);
      return v;
    };
    const env = platformConfig.environments.find((e) => e.name === need('env'));
    if (env === undefined)
      throw new UsageError(`--env ${f.get('env')}: not a deployed environment (${platformConfig.environments.map((e) => e.name).join(', ')})`);
    const body = readFileSync(need('file'), 'utf8');
    const where = await storeInvoice(s3 ?? new S3Client({ region: env.region }), resourceNames(env).usageBucket, {
      environment: env.name,
      month: need('month'),
      body,
      runId: need('run-id'),
      runAttempt: need('run-attempt'),
      commit: need('commit'),
    });
    out(`${where}\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      err(
        `usage:store-invoice: ${error.message}\nusage: usage:store-invoice -- --env ENV --month YYYY-MM --file FILE --run-id ID --run-attempt N --commit SHA\n`,
      );
      return 2;
    }
    err(`usage:store-invoice: ${(error as Error).message.split('\n')[0]}\n`);
    return 1;
  }
}

if (require.main === module) {
  void main(
    process.argv.slice(2),
    (s) => process.stdout.write(s),
    (s) => process.stderr.write(s),
  ).then((code) => {
    process.exitCode = code;
  });
}
