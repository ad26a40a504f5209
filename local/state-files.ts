/** Writes the local platform's small state files atomically: a reader sees the old or the new file. */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

let counter = 0;

export function writeFileAtomic(file: string, text: string, mode = 0o644): void {
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${counter++}.tmp`;
  writeFileSync(temp, text, { mode });
  renameSync(temp, file);
}
