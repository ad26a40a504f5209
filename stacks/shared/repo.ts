/** Paths inside the repository, independent of the working directory synthesis runs from. */
import { resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..', '..');

export function repoPath(...segments: string[]): string {
  return resolve(REPO_ROOT, ...segments);
}
