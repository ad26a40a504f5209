/**
 * The key fingerprint and what a well-formed key is (docs/contracts.md, "Key fingerprint").
 * The edge function (cf-functions/viewer-request.js) re-implements both rules in the CloudFront
 * dialect; its tests compare the fingerprints it logs with this one and run its key-length events.
 * Terraform computes the same value with `substr(sha256(value), 0, 16)` for the fingerprint map.
 */
import { createHash } from 'node:crypto';

export const FINGERPRINT_HEX_LENGTH = 16;
export const MIN_KEY_LENGTH = 20;
export const MAX_KEY_LENGTH = 128;
/** The fingerprint's name in reports and in the usage SQL's output; clients may also type it into a
 * query string, where it means nothing (attribution reads only the edge function's log data). */
export const FINGERPRINT_PARAM = 'apikey_fp';
export const API_KEY_HEADER = 'x-api-key';

/** 20 to 128 printable ASCII characters (0x21 to 0x7E), no whitespace. */
const WELL_FORMED_KEY = new RegExp(`^[\\x21-\\x7e]{${MIN_KEY_LENGTH},${MAX_KEY_LENGTH}}$`);

export function isWellFormedApiKey(value: string): boolean {
  return WELL_FORMED_KEY.test(value);
}

/** First 16 lowercase hex characters of SHA-256 of the key (UTF-8). */
export function apiKeyFingerprint(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex').slice(0, FINGERPRINT_HEX_LENGTH);
}
