import { Pacer } from './api-gateway';

const throttled = () => Object.assign(new Error('Too Many Requests'), { name: 'TooManyRequestsException', $metadata: { httpStatusCode: 429 } });

describe('API Gateway pacing', () => {
  it('retries TooManyRequestsException with backoff and counts it', async () => {
    const pacer = new Pacer({ attempts: 5, baseMs: 1, capMs: 2 });
    let n = 0;
    const out = await pacer.call('CreateApiKey', async () => {
      if (++n <= 2) throw throttled();
      return 'id';
    });
    expect(out).toBe('id');
    expect(pacer.stats).toMatchObject({ calls: 3, throttled: 2, retries: 2, byOperation: { CreateApiKey: 3 } });
  });

  it('gives up after its attempts with one line, and never retries other errors', async () => {
    const pacer = new Pacer({ attempts: 3, baseMs: 1, capMs: 1 });
    await expect(pacer.call('GetApiKeys', () => Promise.reject(throttled()))).rejects.toThrow(
      /kept throttling GetApiKeys after 3 attempts; run the command again later/,
    );
    let calls = 0;
    await expect(
      pacer.call('GetApiKeys', () => {
        calls++;
        return Promise.reject(new Error('boom'));
      }),
    ).rejects.toThrow('boom');
    expect(calls).toBe(1);
  });
});
