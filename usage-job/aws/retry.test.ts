import { backoffDelay, isRetryable, RetriesExhaustedError, withBackoff } from './retry';

function awsError(name: string, status = 400): Error {
  const error = new Error(`${name} happened`);
  error.name = name;
  Object.assign(error, { $metadata: { httpStatusCode: status } });
  return error;
}

describe('withBackoff', () => {
  it('retries throttling with growing, jittered delays and returns the eventual result', async () => {
    const delays: number[] = [];
    let calls = 0;
    const result = await withBackoff(
      'GetQueryResults',
      async () => {
        calls += 1;
        if (calls < 4) throw awsError(calls % 2 ? 'ThrottlingException' : 'TooManyRequestsException');
        return 'rows';
      },
      { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 250, sleep: async (ms) => void delays.push(ms), random: () => 0.999 },
    );
    expect(result).toBe('rows');
    expect(calls).toBe(4);
    // caps 100, 200, 250 (maxDelay) times random 0.999, floored
    expect(delays).toEqual([99, 199, 249]);
  });

  it('gives up after maxAttempts with an error naming the operation and the last AWS error', async () => {
    let calls = 0;
    const run = withBackoff(
      'PutMetricData',
      async () => {
        calls += 1;
        throw awsError('Throttling');
      },
      { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => undefined },
    );
    await expect(run).rejects.toThrow(RetriesExhaustedError);
    await expect(run).rejects.toThrow('PutMetricData failed after 3 attempts: Throttling: Throttling happened');
    expect(calls).toBe(3);
  });

  it('does not retry a client error such as a validation failure', async () => {
    let calls = 0;
    const run = withBackoff(
      'StartQueryExecution',
      async () => {
        calls += 1;
        throw awsError('InvalidRequestException');
      },
      { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => undefined },
    );
    await expect(run).rejects.toThrow('InvalidRequestException happened');
    expect(calls).toBe(1);
  });

  it('treats 5xx responses as retryable and plain errors as not', () => {
    expect(isRetryable(awsError('InternalServerException', 500))).toBe(true);
    expect(isRetryable(new Error('boom'))).toBe(false);
    expect(isRetryable('string')).toBe(false);
  });

  it('never waits longer than the cap', () => {
    for (let attempt = 0; attempt < 40; attempt += 1) {
      expect(backoffDelay(attempt, { maxAttempts: 1, baseDelayMs: 200, maxDelayMs: 5000, random: () => 0.9999 })).toBeLessThan(5000);
    }
  });
});
