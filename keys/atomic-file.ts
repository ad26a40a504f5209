/** Writes a file so a reader sees the old content or the new, never part: temp file, fsync, rename.
 * Here in keys/, the lowest layer that writes local files (eslint.layers.mjs); usage-job/ and local/ use it too. */
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';

/** `mode` applies to a newly written file (0o600 for files holding key values). */
export function writeFileAtomic(path: string, content: string | Uint8Array, mode = 0o644): void {
  placeAtomic(path, content, mode, (tmp) => renameSync(tmp, path));
}

/**
 * Like writeFileAtomic, but never replaces an existing file: the complete temp file is hard-linked
 * to `path`, which fails with EEXIST if something is there.
 */
export function createFileAtomic(path: string, content: string | Uint8Array, mode = 0o644): void {
  placeAtomic(path, content, mode, (tmp) => {
    linkSync(tmp, path);
    rmSync(tmp);
  });
}

function placeAtomic(path: string, content: string | Uint8Array, mode: number, place: (tmp: string) => void): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const fd = openSync(tmp, 'w', mode);
    try {
      writeSync(fd, typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    place(tmp);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}
