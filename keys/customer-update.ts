/** Changing one customer's registry record behind the registry's compare-and-swap (keys set-billing, link-marketplace). */
import { KeysInputError, type KeysContext } from './commands';
import { readRegistry, RegistryConflictError, withCustomer, writeRegistry, type CustomerRecord, type RegistryDocument } from './registry';

export type Ctx = Pick<KeysContext, 'env' | 'registry' | 'now'>;

/** A registry write that lost the compare-and-swap is read and applied again this many times. */
const CAS_ATTEMPTS = 3;

export function customerOf(doc: RegistryDocument, ctx: Ctx, id: string): CustomerRecord {
  const c = doc.customers[id];
  if (c === undefined) throw new KeysInputError(`no customer "${id}" in environment ${ctx.env.name}; keys list shows the customers`);
  return c;
}

/** Applies `change` to the registry behind its compare-and-swap, reading again when another command wrote first. */
export async function updateCustomer(
  ctx: Ctx,
  id: string,
  change: (c: CustomerRecord, doc: RegistryDocument) => CustomerRecord | undefined,
): Promise<CustomerRecord> {
  for (let attempt = 1; ; attempt++) {
    const snap = await readRegistry(ctx.registry, ctx.env.name, ctx.now());
    const current = customerOf(snap.doc, ctx, id);
    const next = change(current, snap.doc);
    if (next === undefined) return current;
    try {
      await writeRegistry(ctx.registry, snap, withCustomer(snap.doc, id, next), ctx.now());
      return next;
    } catch (error) {
      if (!(error instanceof RegistryConflictError) || attempt >= CAS_ATTEMPTS) throw error;
    }
  }
}
