/**
 * Where the sink's Stripe API key comes from. For the CLI and tests: `STRIPE_API_KEY`, and
 * `STRIPE_API_BASE` so a fake or stripe-mock can stand in for https://api.stripe.com. In AWS: the
 * Secrets Manager secret the config names, read by a function the caller supplies (the usage job's
 * AWS wiring, with secretsmanager:GetSecretValue on that secret only). The key is never logged.
 */
export const STRIPE_API_BASE = 'https://api.stripe.com';

export interface StripeCredentials {
  readonly apiKey: string;
  readonly apiBase: string;
}

/** From the environment; undefined when STRIPE_API_KEY is unset. Throws one line on a bad STRIPE_API_BASE. */
export function credentialsFromEnvironment(env: NodeJS.ProcessEnv = process.env): StripeCredentials | undefined {
  const apiKey = env.STRIPE_API_KEY?.trim();
  if (apiKey === undefined || apiKey === '') return undefined;
  const apiBase = env.STRIPE_API_BASE?.trim() || STRIPE_API_BASE;
  let url: URL;
  try {
    url = new URL(apiBase);
  } catch {
    throw new Error(`STRIPE_API_BASE is not a URL: ${apiBase}`);
  }
  if (url.protocol !== 'https:' && !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    throw new Error(`STRIPE_API_BASE must be https, or http on loopback (a fake): ${apiBase}`);
  }
  return { apiKey, apiBase: apiBase.replace(/\/+$/, '') };
}

/**
 * From a Secrets Manager secret: its SecretString is the key itself or JSON with `apiKey`.
 * `readSecretString` is GetSecretValue's SecretString (the lead wires @aws-sdk/client-secrets-manager).
 */
export async function credentialsFromSecret(
  secretName: string,
  readSecretString: (secretName: string) => Promise<string | undefined>,
): Promise<StripeCredentials> {
  const text = (await readSecretString(secretName))?.trim();
  if (text === undefined || text === '') throw new Error(`Secrets Manager secret ${secretName} has no SecretString (expected the Stripe API key)`);
  let apiKey = text;
  if (text.startsWith('{')) {
    let parsed: { apiKey?: unknown };
    try {
      parsed = JSON.parse(text) as { apiKey?: unknown };
    } catch {
      throw new Error(`Secrets Manager secret ${secretName} starts with "{" but is not JSON`);
    }
    if (typeof parsed.apiKey !== 'string' || parsed.apiKey === '') throw new Error(`Secrets Manager secret ${secretName} is JSON without a string "apiKey"`);
    apiKey = parsed.apiKey;
  }
  if (!/^(sk|rk)_(live|test)_/.test(apiKey))
    throw new Error(`Secrets Manager secret ${secretName} does not hold a Stripe secret or restricted key (sk_… or rk_…)`);
  return { apiKey, apiBase: STRIPE_API_BASE };
}
