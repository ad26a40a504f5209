/**
 * The origin secret: CloudFront adds a per-environment secret header to every request it sends to
 * API Gateway (a custom origin header set by the billing stack); the handlers refuse requests
 * without it, so nobody can bypass CloudFront (and its logs, which are the billing record).
 * The stack sets the header named here and passes the same value to the handlers as ORIGIN_SECRET.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** Header name, lowercase; the stack sets it as a CloudFront origin custom header. */
export const ORIGIN_SECRET_HEADER = 'x-origin-secret';
/** Environment variable holding the expected value in each handler. */
export const ORIGIN_SECRET_ENV = 'ORIGIN_SECRET';

/**
 * Compares in time independent of where the values differ: both sides are hashed to 32 bytes first
 * so that timingSafeEqual gets equal lengths and the length of the secret does not leak either.
 */
export function originSecretMatches(expected: string, received: string): boolean {
  const a = createHash('sha256').update(expected, 'utf8').digest();
  const b = createHash('sha256').update(received, 'utf8').digest();
  return timingSafeEqual(a, b);
}
