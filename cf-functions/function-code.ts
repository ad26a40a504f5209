/**
 * The viewer-request function's code as an environment deploys it: the file as written, with its
 * one switch set from the environment's edge key check (config: `edgeKeyCheck`).
 * - `enforce` (default): a fingerprint the key value store does not hold gets 403 at the edge.
 * - `admit-unknown`: such a fingerprint passes on to API Gateway, which still refuses a key it
 *   does not have. Only for the move of existing keys out of Terraform: the apply that creates
 *   the store comes before `keys import` can fill it (docs/keys.md, "Moving keys out of Terraform").
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const VIEWER_REQUEST_PATH = resolve(__dirname, 'viewer-request.js');

export type EdgeKeyCheck = 'enforce' | 'admit-unknown';
export const EDGE_KEY_CHECKS: readonly EdgeKeyCheck[] = ['enforce', 'admit-unknown'];

const SWITCH = 'var ADMIT_UNKNOWN = false;';

export function viewerRequestCode(check: EdgeKeyCheck, path: string = VIEWER_REQUEST_PATH): string {
  const source = readFileSync(path, 'utf8');
  const found = source.split(SWITCH).length - 1;
  if (found !== 1) throw new Error(`${path} must hold the line "${SWITCH}" exactly once (found ${found}): the edge key check is set through it`);
  return check === 'enforce' ? source : source.replace(SWITCH, 'var ADMIT_UNKNOWN = true;');
}
