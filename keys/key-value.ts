/**
 * New key values: 40 characters from a 62-letter alphabet, drawn from the CSPRNG. API Gateway takes
 * 20 to 128 characters (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-key-file-format.html);
 * well-formed by contracts/api-key.ts. local/keys/key-store.ts keeps a copy of this function (local/
 * may import keys/, so it can use this one instead).
 */
import { randomBytes } from 'node:crypto';

const LENGTH = 40;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function generateKeyValue(): string {
  let out = '';
  while (out.length < LENGTH) {
    // 248 = 4 * 62: rejecting larger bytes keeps every character equally likely.
    for (const byte of randomBytes(64)) if (byte < 248 && out.length < LENGTH) out += ALPHABET[byte % ALPHABET.length];
  }
  return out;
}
