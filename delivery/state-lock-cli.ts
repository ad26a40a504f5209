/**
 * CLI over state-lock.ts, used by delivery/release-state-lock.sh (apply jobs) and the unlock
 * workflow:
 *
 *   npm run --silent delivery:lock -- show  --stack-dir DIR [--bucket B]
 *   npm run --silent delivery:lock -- own   --stack-dir DIR [--bucket B] --holder USER@HOST --terraform-running yes|no
 *   npm run --silent delivery:lock -- guard --stack-dir DIR [--bucket B] --lock-id ID [--min-age-minutes 15] [--now ISO]
 *
 * The lock is read from the stack's S3 backend (`<key>.tflock`, AWS credentials from the
 * environment), or from `--lock-file FILE` (a saved copy; a missing file means no lock).
 * `own` and `guard` print `release=<id>` (or `release=`) on stdout and the reason on stderr; `guard`
 * exits 3 when it refuses. Bad arguments exit 2.
 */
import { existsSync, readFileSync } from 'node:fs';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { decideGuardedUnlock, decideOwnLock, describeLock, parseLockInfo, s3LockLocation, type LockDecision, type StateLock } from './state-lock';
import { runCli } from './run-cli';

class UsageError extends Error {}

const USAGE = 'usage: delivery:lock -- show|own|guard (--stack-dir DIR [--bucket B] | --lock-file FILE) [options]; see delivery/state-lock-cli.ts';

function flags(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (!flag.startsWith('--') || value === undefined) throw new UsageError(`expected --flag value pairs, got "${argv.slice(i).join(' ')}"`);
    out.set(flag.slice(2), value);
  }
  return out;
}

async function readLock(f: Map<string, string>): Promise<StateLock | undefined> {
  const file = f.get('lock-file');
  if (file !== undefined) return existsSync(file) && readFileSync(file, 'utf8').trim() !== '' ? parseLockInfo(readFileSync(file, 'utf8')) : undefined;
  const stackDir = f.get('stack-dir');
  if (stackDir === undefined) throw new UsageError('--stack-dir DIR or --lock-file FILE is required');
  const where = s3LockLocation(stackDir, f.get('bucket'));
  const s3 = new S3Client({ region: where.region });
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: where.bucket, Key: where.key }));
    const text = (await object.Body?.transformToString('utf8')) ?? '';
    return parseLockInfo(text);
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'NoSuchKey' || name === 'NotFound') return undefined;
    throw error;
  }
}

function report(decision: LockDecision, out: (s: string) => void, err: (s: string) => void): void {
  out(`release=${decision.release ? decision.id : ''}\n`);
  err(`delivery:lock: ${decision.reason}\n`);
}

export async function main(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  try {
    const [command, ...rest] = argv;
    const f = flags(rest);
    const lock = await readLock(f);
    if (command === 'show') {
      out(lock === undefined ? '' : `${JSON.stringify({ ...lock, created: lock.created.toISOString() })}\n`);
      err(`delivery:lock: ${lock === undefined ? 'no state lock is held' : describeLock(lock)}\n`);
      return 0;
    }
    if (command === 'own') {
      const holder = f.get('holder');
      const running = f.get('terraform-running');
      if (holder === undefined || (running !== 'yes' && running !== 'no')) throw new UsageError('own needs --holder USER@HOST and --terraform-running yes|no');
      report(decideOwnLock(lock, holder, running === 'yes'), out, err);
      return 0;
    }
    if (command === 'guard') {
      const id = f.get('lock-id');
      if (id === undefined) throw new UsageError('guard needs --lock-id ID');
      const minAge = Number(f.get('min-age-minutes') ?? '15');
      if (!Number.isInteger(minAge) || minAge < 0) throw new UsageError(`--min-age-minutes must be a whole number, got "${f.get('min-age-minutes')}"`);
      const now = new Date(f.get('now') ?? new Date().toISOString());
      if (Number.isNaN(now.getTime())) throw new UsageError(`--now must be an ISO time, got "${f.get('now')}"`);
      const decision = decideGuardedUnlock(lock, id.trim(), now, minAge);
      report(decision, out, err);
      return decision.release ? 0 : 3;
    }
    throw new UsageError(`unknown command "${command ?? ''}"`);
  } catch (error) {
    if (error instanceof UsageError) {
      err(`delivery:lock: ${error.message}\n${USAGE}\n`);
      return 2;
    }
    err(`delivery:lock: ${(error as Error).message.split('\n')[0]}\n`);
    return 1;
  }
}

if (require.main === module) runCli(main);
