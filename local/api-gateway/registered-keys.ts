/**
 * Which keys the local API Gateway admits, learned while it runs: the keys CLI's local API Gateway
 * (<state>/api-gateway-keys.json, keys/memory-gateway.ts: enabled keys bound to a usage plan, by
 * fingerprint) and, for each key's API Gateway id, the local registry (<state>/registry.json).
 * Both files are replaced atomically by the CLI; they are read again on the first request after
 * either changed, so a key `keys create` made works on the next request and a key `keys revoke`
 * deleted is refused on the next one, without a restart.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { EnvironmentConfig } from '../../config/types';
import { MemoryKeyGateway } from '../../keys/memory-gateway';
import { parseRegistry } from '../../keys/registry';

export interface UsableKey {
  /** API Gateway's id of the key (requestContext.identity.apiKeyId; quota and throttle are per key). */
  readonly apiKeyId: string;
  readonly plan: string;
}

/** Looks a presented key up by its fingerprint. */
export type GatewayKeys = (fingerprint: string) => Promise<UsableKey | undefined>;

export const API_GATEWAY_KEYS_FILE = 'api-gateway-keys.json';
export const REGISTRY_FILE = 'registry.json';

function version(file: string): string {
  try {
    const s = statSync(file, { bigint: true });
    return `${s.ino}:${s.size}:${s.mtimeNs}`;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw error;
  }
}

/**
 * The keys of the local API Gateway under `stateDir`. A file that cannot be read fails closed
 * (every key 403), reported once per version through `onError`.
 */
export function registeredKeys(stateDir: string, environment: EnvironmentConfig, onError: (message: string) => void): GatewayKeys {
  const gatewayFile = join(stateDir, API_GATEWAY_KEYS_FILE);
  const registryFile = join(stateDir, REGISTRY_FILE);
  let seen = '';
  let keys: ReadonlyMap<string, UsableKey> = new Map();

  const load = async (): Promise<ReadonlyMap<string, UsableKey>> => {
    const gateway = new MemoryKeyGateway(environment.prefix, Object.keys(environment.usagePlans), gatewayFile);
    const usable = gateway.usableFingerprints();
    const idByName = new Map((await gateway.listKeys('', false)).map((k) => [k.name, k.id]));
    const registry = version(registryFile) === 'absent' ? undefined : parseRegistry(readFileSync(registryFile, 'utf8'), registryFile, environment.name);
    const records = new Map(Object.values(registry?.customers ?? {}).flatMap((c) => c.keys.map((k) => [k.fingerprint, k] as const)));
    const out = new Map<string, UsableKey>();
    for (const [fingerprint, plan] of usable) {
      const record = records.get(fingerprint);
      // A key API Gateway has that the registry does not know cannot come from the keys CLI; it is admitted, as AWS would, under its fingerprint.
      const apiKeyId = record?.apiKeyId ?? (record !== undefined ? idByName.get(record.apiKeyName) : undefined) ?? fingerprint;
      out.set(fingerprint, { apiKeyId, plan });
    }
    return out;
  };

  return async (fingerprint) => {
    const now = `${version(gatewayFile)}|${version(registryFile)}`;
    if (now !== seen) {
      seen = now;
      try {
        keys = await load();
      } catch (error) {
        keys = new Map();
        onError(`cannot read the local API Gateway's keys (${(error as Error).message.split('\n')[0]}); every key gets 403 until it is fixed`);
      }
    }
    return keys.get(fingerprint);
  };
}
