/**
 * API Gateway throttles with a token bucket: the bucket holds up to `burst` tokens, refills at
 * `rate` tokens a second, and each request takes one; an empty bucket means 429.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html
 * Starts full, as a client that was idle gets its whole burst.
 */
export class TokenBucket {
  private tokens: number;
  private updatedMs: number;

  constructor(
    readonly rate: number,
    readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.updatedMs = now();
  }

  /** Takes one token if there is one; returns false (throttled) otherwise. */
  tryTake(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedMs) / 1000) * this.rate);
    this.updatedMs = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
