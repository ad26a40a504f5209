/**
 * The edge's copy of the usable keys (contracts/edge-keys.ts), behind one interface: a CloudFront
 * KeyValueStore in AWS, a JSON file locally (`{ "<fingerprint>": "<value>" }`), a stand-in in tests.
 * The registry is the source of truth; `keys sync` makes the edge store follow it.
 */
export interface EdgeEntry {
  /** The key's fingerprint (16 lowercase hex characters). */
  readonly fingerprint: string;
  /** `active` or `until:<unix seconds>` (contracts/edge-keys.ts). */
  readonly value: string;
}

export interface EdgeChanges {
  readonly put: readonly EdgeEntry[];
  /** Fingerprints to remove. */
  readonly delete: readonly string[];
}

export interface EdgeKeyStore {
  /** How soon the edge sees a change, in words for the operator (revoke prints it). */
  readonly propagation: string;
  /** Every entry in the store, fingerprint to value. */
  list(): Promise<ReadonlyMap<string, string>>;
  /**
   * Applies puts and deletes, in as few calls as the store's limits allow. Idempotent: putting an
   * equal value and deleting a missing fingerprint succeed, so a restarted command can repeat it.
   */
  apply(changes: EdgeChanges): Promise<void>;
}
