import { credentialsFromEnvironment, credentialsFromSecret } from './api-key';

describe('credentials', () => {
  test('from STRIPE_API_KEY and STRIPE_API_BASE; https or loopback only', () => {
    expect(credentialsFromEnvironment({})).toBeUndefined();
    expect(credentialsFromEnvironment({ STRIPE_API_KEY: 'sk_test_1' })).toEqual({ apiKey: 'sk_test_1', apiBase: 'https://api.stripe.com' });
    expect(credentialsFromEnvironment({ STRIPE_API_KEY: 'sk_test_1', STRIPE_API_BASE: 'http://127.0.0.1:12111/' })).toEqual({
      apiKey: 'sk_test_1',
      apiBase: 'http://127.0.0.1:12111',
    });
    expect(() => credentialsFromEnvironment({ STRIPE_API_KEY: 'sk_test_1', STRIPE_API_BASE: 'http://example.com' })).toThrow(
      /must be https, or http on loopback/,
    );
    expect(() => credentialsFromEnvironment({ STRIPE_API_KEY: 'sk_test_1', STRIPE_API_BASE: 'nope' })).toThrow(/not a URL: nope/);
  });

  test('from a secret: the key itself or JSON with apiKey; anything else named without the value', async () => {
    await expect(credentialsFromSecret('s', async () => 'rk_live_abc')).resolves.toEqual({ apiKey: 'rk_live_abc', apiBase: 'https://api.stripe.com' });
    await expect(credentialsFromSecret('s', async () => '{"apiKey":"sk_test_x"}')).resolves.toMatchObject({ apiKey: 'sk_test_x' });
    await expect(credentialsFromSecret('s', async () => undefined)).rejects.toThrow('Secrets Manager secret s has no SecretString');
    await expect(credentialsFromSecret('s', async () => '{"key":1}')).rejects.toThrow(/JSON without a string "apiKey"/);
    const wrong = credentialsFromSecret('s', async () => 'pk_live_public');
    await expect(wrong).rejects.toThrow(/does not hold a Stripe secret or restricted key/);
    await expect(wrong).rejects.not.toThrow(/pk_live_public/);
  });
});
