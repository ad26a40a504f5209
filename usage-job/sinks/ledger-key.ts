/**
 * Where a sink's ledger lives inside a ledger store: `<sink>/<month>.json`, and a part of it (a
 * shard, sharded-ledger.ts) at `<sink>/<month>/<part>.json`, below a per-environment root (locally
 * `<state>/sinks/<environment>/`, in S3 `sinks/<environment>/` of the usage bucket). Names are
 * checked so a sink or part name can never reach outside its folder.
 */
import { isMonth } from '../../sql/hours';

const SINK_NAME = /^[a-z][a-z0-9-]{0,31}$/;
const PART_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;

export function ledgerKey(sink: string, month: string, part?: string): string {
  if (!SINK_NAME.test(sink)) throw new Error(`sink name ${JSON.stringify(sink)} must be 1 to 32 lowercase letters, digits or dashes, starting with a letter`);
  if (!isMonth(month)) throw new Error(`ledger month ${JSON.stringify(month)} must be YYYY-MM`);
  if (part === undefined) return `${sink}/${month}.json`;
  if (!PART_NAME.test(part))
    throw new Error(`ledger part ${JSON.stringify(part)} must be 1 to 32 lowercase letters, digits or dashes, starting with a letter or digit`);
  return `${sink}/${month}/${part}.json`;
}

/** Parses a stored ledger, naming where it is when it is not JSON. */
export function parseLedger<T>(text: string, location: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new Error(`sink ledger ${location} is not JSON (${(error as Error).message}); move it aside only if you know what the sink has sent`, {
      cause: error,
    });
  }
}
