/**
 * Exponential backoff with full jitter for AWS calls that may be throttled.
 *
 * The AWS clients this job builds are created with `maxAttempts: 1` (see clients.ts), so this is
 * the only retry layer: one place that decides what is retried, how often and how long to wait.
 * Retried: throttling errors by their AWS error code (ThrottlingException, TooManyRequestsException,
 * Throttling, RequestLimitExceeded, ...), errors the SDK marks `$retryable`, and 5xx responses.
 * Backoff: "full jitter", sleep = random(0, min(cap, base * 2^attempt)), as described in
 * https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/ .
 */

export interface BackoffOptions {
  /** Attempts in total, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Injected for tests; defaults to a real timer. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Injected for tests; defaults to Math.random. */
  readonly random?: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { maxAttempts: 6, baseDelayMs: 200, maxDelayMs: 10_000 };

const THROTTLING_CODES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'SlowDown',
]);

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface ErrorShape {
  name?: unknown;
  Code?: unknown;
  code?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** The AWS error code of an SDK error (its `name`), or undefined for non-AWS errors. */
export function awsErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as ErrorShape;
  for (const candidate of [e.name, e.Code, e.code]) {
    if (typeof candidate === 'string' && candidate !== 'Error') return candidate;
  }
  return undefined;
}

export function isThrottling(error: unknown): boolean {
  const code = awsErrorCode(error);
  return code !== undefined && THROTTLING_CODES.has(code);
}

export function isRetryable(error: unknown): boolean {
  if (isThrottling(error)) return true;
  if (typeof error !== 'object' || error === null) return false;
  const e = error as ErrorShape;
  if (typeof e.$retryable === 'object' && e.$retryable !== null) return true;
  const status = e.$metadata?.httpStatusCode;
  return typeof status === 'number' && status >= 500;
}

/** Delay before retry number `attempt` (0-based): full jitter over an exponentially growing cap. */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const cap = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
  return Math.floor((options.random ?? Math.random)() * cap);
}

export class RetriesExhaustedError extends Error {
  constructor(
    readonly operation: string,
    readonly attempts: number,
    readonly lastError: unknown,
  ) {
    super(
      `${operation} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ` +
        `${awsErrorCode(lastError) ?? 'error'}: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
    );
    this.name = 'RetriesExhaustedError';
  }
}

/**
 * Runs `call`, retrying retryable errors with backoff. A non-retryable error is rethrown as is;
 * when attempts run out, a RetriesExhaustedError names the operation and the last error.
 */
export async function withBackoff<T>(operation: string, call: () => Promise<T>, options: BackoffOptions = DEFAULT_BACKOFF): Promise<T> {
  const sleep = options.sleep ?? realSleep;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (!isRetryable(error)) throw error;
      if (attempt + 1 >= options.maxAttempts) throw new RetriesExhaustedError(operation, attempt + 1, error);
      await sleep(backoffDelay(attempt, options));
    }
  }
}
