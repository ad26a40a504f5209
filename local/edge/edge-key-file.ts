/**
 * The local edge's key value store: the JSON file the keys CLI's file store writes,
 * `<state>/edge-keys.json`, `{ "<fingerprint>": "<value>" }` (contracts/edge-keys.ts). The edge
 * function reads it through `cf.kvs()`; this reader looks at the file on every look-up and parses
 * it again only when it changed (another inode after an atomic rename, another size or mtime), so a
 * key created while `npm start` runs works on the next request and a revoked key gets 403 on the
 * next request. CloudFront takes seconds to propagate a change to its edges; locally it is immediate.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { EdgeKeyLookup } from '../../cf-functions/sandbox';

export const EDGE_KEYS_FILE = 'edge-keys.json';

export function edgeKeysPath(stateDir: string): string {
  return join(stateDir, EDGE_KEYS_FILE);
}

function parseEdgeKeys(file: string, text: string): ReadonlyMap<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not valid JSON (${(error as Error).message}); run \`keys sync --fix\` to rewrite it`, { cause: error });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`${file} must hold one JSON object of fingerprint to value; run \`keys sync --fix\` to rewrite it`);
  }
  const entries = Object.entries(parsed as Record<string, unknown>);
  const bad = entries.find(([, value]) => typeof value !== 'string');
  if (bad !== undefined) throw new Error(`${file}: the value of ${bad[0]} is not a string; run \`keys sync --fix\` to rewrite it`);
  return new Map(entries as [string, string][]);
}

/**
 * A look-up over the file. A missing file is an empty store (every key 403). A file that cannot
 * be read as the contract's object is an empty store too (fail closed: every key 403), reported
 * once per version of the file through `onError`; without `onError` the look-up throws.
 */
export function edgeKeyFile(file: string, onError?: (message: string) => void): EdgeKeyLookup {
  let seen = '';
  let entries: ReadonlyMap<string, string> = new Map();
  return (key) => {
    let version = 'absent';
    try {
      const s = statSync(file, { bigint: true });
      version = `${s.ino}:${s.size}:${s.mtimeNs}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (version !== seen) {
      seen = version;
      try {
        entries = version === 'absent' ? new Map() : parseEdgeKeys(file, readFileSync(file, 'utf8'));
      } catch (error) {
        entries = new Map();
        if (onError === undefined) {
          seen = '';
          throw error;
        }
        onError(`${(error as Error).message}; every key gets 403 until it is fixed`);
      }
    }
    return entries.get(key);
  };
}
