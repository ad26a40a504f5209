/**
 * The Terraform state lock of a billing stack: reading it, and deciding when the pipeline may
 * release it. Two cases, both refusing whenever the lock could still be in use:
 *
 * - own: after an apply job was cancelled or failed, the job releases a lock that it left itself
 *   (holder `<user>@<this runner's hostname>`) once no terraform process of the job is running;
 * - guarded: the unlock workflow releases the lock with the id a person read from the error, only
 *   while that lock is still the one held and older than a minimum age.
 *
 * The S3 backend with `use_lockfile` keeps the lock as a JSON object beside the state,
 * `<key>.tflock`, written with a conditional put (If-None-Match: *): Terraform's statemgr.LockInfo
 * marshalled as JSON (hashicorp/terraform internal/backend/remote-state/s3/client.go lockWithFile):
 * {"ID","Operation","Info","Who","Version","Created","Path"}, Who being `<user>@<hostname>`.
 * https://developer.hashicorp.com/terraform/language/backend/s3 (use_lockfile)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface StateLock {
  readonly id: string;
  readonly operation: string;
  /** `<user>@<hostname>` of the process that took the lock. */
  readonly who: string;
  readonly version: string;
  readonly created: Date;
  readonly path: string;
  readonly info: string;
}

export class StateLockError extends Error {}

/** Parses Terraform's lock info JSON; throws StateLockError on anything else. */
export function parseLockInfo(text: string): StateLock {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new StateLockError(`the lock object is not JSON: ${text.slice(0, 60)}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new StateLockError('the lock object is not a JSON object');
  const r = raw as Record<string, unknown>;
  const str = (key: string): string => (typeof r[key] === 'string' ? (r[key] as string) : '');
  if (str('ID') === '') throw new StateLockError('the lock object has no "ID"');
  const created = new Date(str('Created'));
  if (Number.isNaN(created.getTime())) throw new StateLockError(`the lock object has no valid "Created" time: ${JSON.stringify(r.Created)}`);
  return { id: str('ID'), operation: str('Operation'), who: str('Who'), version: str('Version'), created, path: str('Path'), info: str('Info') };
}

export function describeLock(lock: StateLock): string {
  return `lock ${lock.id} (${lock.operation || 'unknown operation'} by ${lock.who || 'unknown'} with Terraform ${lock.version || '?'}, since ${lock.created.toISOString()})`;
}

export type LockDecision = { readonly release: true; readonly id: string; readonly reason: string } | { readonly release: false; readonly reason: string };

/**
 * After an apply job was cancelled or failed: release the lock only if this job left it (same
 * holder) and its terraform process is gone. A running terraform still owns the lock and releases
 * it itself when it stops.
 */
export function decideOwnLock(lock: StateLock | undefined, holder: string, terraformRunning: boolean): LockDecision {
  if (lock === undefined) return { release: false, reason: 'no state lock is held; nothing to release' };
  if (lock.who !== holder) return { release: false, reason: `the ${describeLock(lock)} belongs to another holder than this job (${holder}); left alone` };
  if (terraformRunning) return { release: false, reason: `terraform is still running and holds the ${describeLock(lock)}; it releases it when it stops` };
  return { release: true, id: lock.id, reason: `this job's terraform stopped without releasing the ${describeLock(lock)}` };
}

/**
 * The unlock workflow: release only the lock a person named, only if it is still the lock held, and
 * only once it is older than `minAgeMinutes` (a younger lock may belong to an apply in progress).
 * Applies of the environment run in the same concurrency group as the unlock job, so none runs
 * while the unlock job does.
 */
export function decideGuardedUnlock(lock: StateLock | undefined, requestedId: string, now: Date, minAgeMinutes: number): LockDecision {
  if (!/^[0-9a-f-]{8,64}$/i.test(requestedId))
    return { release: false, reason: `"${requestedId}" is not a Terraform lock id (copy the ID from the lock error)` };
  if (lock === undefined) return { release: false, reason: 'no state lock is held; nothing to unlock' };
  if (lock.id !== requestedId)
    return { release: false, reason: `the lock held now is ${describeLock(lock)}, not ${requestedId}; read the lock again and retry with its id` };
  const ageMinutes = (now.getTime() - lock.created.getTime()) / 60_000;
  if (ageMinutes < minAgeMinutes) {
    return {
      release: false,
      reason: `the ${describeLock(lock)} is ${Math.floor(ageMinutes)} minutes old, younger than ${minAgeMinutes}: an apply may still be running; wait and retry`,
    };
  }
  return { release: true, id: lock.id, reason: `releasing the ${describeLock(lock)}, ${Math.floor(ageMinutes)} minutes old` };
}

/** Where a billing stack's S3 state and lock live, from its synthesized backend block. */
export interface S3LockLocation {
  readonly bucket: string;
  readonly key: string;
  readonly region: string;
}

export function s3LockLocation(stackDir: string, bucketOverride?: string): S3LockLocation {
  const json = JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8')) as { terraform?: { backend?: Record<string, Record<string, unknown>> } };
  const s3 = json.terraform?.backend?.s3;
  if (s3 === undefined) throw new StateLockError(`${stackDir}/cdk.tf.json has no S3 backend; the lock of other backends is not read here`);
  const bucket = bucketOverride !== undefined && bucketOverride !== '' ? bucketOverride : String(s3.bucket ?? '');
  return { bucket, key: `${String(s3.key ?? '')}.tflock`, region: String(s3.region ?? '') };
}
