/**
 * Customers from a local key registry file (keys/registry-file.ts, what `keys --env local` and
 * `npm start` write): read once per run, with the revision the run attributed with.
 */
import { resolve } from 'node:path';
import { readRegistry } from '../../keys/registry';
import { FileRegistryStore } from '../../keys/registry-file';
import { customersFromRegistry, CustomersError, type Customers } from '../customers';

export async function readRegistryFile(
  path: string,
  environment: string,
  plans: Readonly<Record<string, { readonly monthlyQuota: number }>>,
): Promise<Customers> {
  const location = resolve(path);
  let snapshot;
  try {
    snapshot = await readRegistry(new FileRegistryStore(location), environment);
  } catch (error) {
    throw new CustomersError(error instanceof Error ? error.message : String(error));
  }
  const { doc, etag } = snapshot;
  return {
    customers: customersFromRegistry(doc, plans, location),
    registry: { location, revision: doc.revision, ...(etag !== undefined ? { etag } : {}) },
  };
}
