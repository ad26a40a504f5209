/**
 * Reads a proxy event's body as JSON, with a clear 4xx for each way it can be wrong:
 * 415 wrong content type, 413 over 64 KB (decoded), 400 missing / not base64 / not UTF-8 / not JSON /
 * nested deeper than MAX_JSON_DEPTH (so echoing it back can never exhaust the stack).
 */
import { singleHeader, type ProxyEvent } from './http';

/** Largest accepted body, in bytes after base64 decoding: 64 KB. */
export const MAX_BODY_BYTES = 65_536;

/** Deepest accepted nesting of arrays and objects. */
export const MAX_JSON_DEPTH = 128;

export type BodyResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly status: 400 | 413 | 415; readonly message: string };

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** application/json, any letter case, optionally followed by parameters such as charset. */
export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const mediaType = value.split(';', 1)[0].trim().toLowerCase();
  return mediaType === 'application/json';
}

export function readJsonBody(event: ProxyEvent): BodyResult {
  if (!isJsonContentType(singleHeader(event, 'content-type'))) {
    return { ok: false, status: 415, message: 'Content-Type must be application/json' };
  }
  const raw = typeof event.body === 'string' ? event.body : '';
  let bytes: Buffer;
  if (event.isBase64Encoded === true) {
    const compact = raw.replace(/\s+/g, '');
    // Base64 is 4/3 of the bytes it encodes: reject an oversize body before decoding it.
    if (Math.floor((compact.length * 3) / 4) - 2 > MAX_BODY_BYTES) return tooLarge();
    if (!BASE64.test(compact)) return { ok: false, status: 400, message: 'Body is marked base64 but is not valid base64' };
    bytes = Buffer.from(compact, 'base64');
  } else {
    if (raw.length > MAX_BODY_BYTES) return tooLarge(); // UTF-16 length <= UTF-8 byte length
    bytes = Buffer.from(raw, 'utf8');
  }
  if (bytes.length > MAX_BODY_BYTES) return tooLarge();
  if (bytes.length === 0) return { ok: false, status: 400, message: 'Request body is empty: send a JSON document' };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, status: 400, message: 'Request body is not valid UTF-8' };
  }
  if (nestingDepth(text) > MAX_JSON_DEPTH) {
    return { ok: false, status: 400, message: `Request body nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels` };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, status: 400, message: 'Request body is not valid JSON' };
  }
}

function tooLarge(): BodyResult {
  return { ok: false, status: 413, message: `Request body is larger than ${MAX_BODY_BYTES} bytes (64 KB)` };
}

/** Deepest bracket nesting outside string literals (an upper bound for malformed text). */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return deepest;
}
