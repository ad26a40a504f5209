/**
 * What the edge knows about each usable API key: one CloudFront KeyValueStore entry per key that
 * may pass the edge, keyed by the key's fingerprint (contracts/api-key.ts). A key with no entry
 * (unknown, revoked, or past its rotation deadline) gets 403 at the edge with its fingerprint
 * logged. The value is one of:
 * - `active`: the key passes;
 * - `until:<unix seconds>`: a rotated key in its grace period; it passes while the edge's clock is
 *   before that instant, then gets 403 even before `keys sync` deletes the entry.
 * The edge function (cf-functions/viewer-request.js) reads these strings and cannot import this
 * module: a change here is a change there, and both are tested against the same cases.
 */
export type EdgeKeyState = { readonly kind: 'active' } | { readonly kind: 'grace'; readonly untilEpochSeconds: number };

export const EDGE_ACTIVE = 'active';
const GRACE = /^until:(\d{1,12})$/;

export function edgeValue(state: EdgeKeyState): string {
  if (state.kind === 'active') return EDGE_ACTIVE;
  if (!Number.isSafeInteger(state.untilEpochSeconds) || state.untilEpochSeconds <= 0)
    throw new Error(`edge grace deadline must be a positive whole number of seconds, got ${state.untilEpochSeconds}`);
  return `until:${state.untilEpochSeconds}`;
}

/** The state an entry's value encodes, or undefined when the value is not one of ours. */
export function parseEdgeValue(value: string): EdgeKeyState | undefined {
  if (value === EDGE_ACTIVE) return { kind: 'active' };
  const grace = GRACE.exec(value);
  return grace === null ? undefined : { kind: 'grace', untilEpochSeconds: Number(grace[1]) };
}
