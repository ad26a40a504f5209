/**
 * An exclusive lock for the local files two commands on one machine share (the keys CLI's registry,
 * edge file and local API Gateway file; the usage CLI's sink ledgers): a lock file created with O_EXCL that names its holder's pid. A change is
 * read, made and written while holding it, so two commands never interleave on one file. A lock
 * whose holder has died (kill -9) is taken over; a live holder is waited for, however long it has
 * held the lock, and after `waitMs` the command stops with one line.
 */
import { closeSync, existsSync, linkSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

/** Changes under the lock take milliseconds; another command's whole change fits well within this. */
export const LOCK_WAIT_MS = 10_000;
/** A lock file with no pid in it (its creator died between creating and writing it) is stale after this. */
const EMPTY_LOCK_STALE_MS = 30_000;

/** `holders`: who else takes this lock, for the message when it is not released in time. */
export async function withFileLock<T>(lock: string, fn: () => T | Promise<T>, waitMs = LOCK_WAIT_MS, holders = 'keys command'): Promise<T> {
  const deadline = Date.now() + waitMs;
  while (!tryCreate(lock)) {
    const holder = holderOf(lock);
    if (holder === 'gone') continue;
    if (holder === undefined ? ageMs(lock) > EMPTY_LOCK_STALE_MS : !alive(holder)) {
      takeOver(lock, holder);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `lock ${lock} is held by another ${holders} (pid ${holder ?? 'unknown'}); wait for it to finish, or delete the file if that process is not a ${holders}`,
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  try {
    return await fn();
  } finally {
    if (holderOf(lock) === process.pid) rmSync(lock, { force: true });
  }
}

function tryCreate(lock: string): boolean {
  let fd: number;
  try {
    fd = openSync(lock, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The holder's pid; undefined when the file names none; 'gone' when it vanished meanwhile. */
function holderOf(lock: string): number | undefined | 'gone' {
  let text: string;
  try {
    text = readFileSync(lock, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function ageMs(lock: string): number {
  try {
    return Date.now() - statSync(lock).mtimeMs;
  } catch {
    return 0;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Moves the dead holder's lock aside (rename is atomic), then checks that what it moved is still
 * that lock: if another command took it over first and already holds a fresh lock, it is put back.
 */
function takeOver(lock: string, deadHolder: number | undefined): void {
  const aside = `${lock}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(lock, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = holderOf(aside);
  if (moved !== deadHolder && moved !== 'gone' && !existsSync(lock)) {
    try {
      linkSync(aside, lock);
    } catch {
      // Someone created a new lock meanwhile; the one put back would have been theirs to release.
    }
  }
  rmSync(aside, { force: true });
}
