/**
 * No API key value or origin secret can leave Terraform through the synthesized configuration:
 * the stacks hold no API key at all (keys are registry data, made by the keys CLI), the origin
 * secret only reaches the CloudFront origin header and the handlers' environment, and no output
 * references either.
 */
import { platformConfig } from '../../config/environments';
import { synthPlatform } from '../testing/synth-platform';
import type { JsonObject } from '../testing/synth-platform';

const stacks = synthPlatform(platformConfig);

/** Every string in a JSON value with the path that leads to it. */
function strings(value: unknown, path: string, out: { path: string; text: string }[] = []): { path: string; text: string }[] {
  if (typeof value === 'string') out.push({ path, text: value });
  else if (Array.isArray(value)) value.forEach((v, i) => strings(v, `${path}[${i}]`, out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) strings(v, `${path}.${k}`, out);
  return out;
}

const KEY_VALUE_REF = /aws_api_gateway_api_key\.[\w-]+\.value/g;
const SECRET_REFS = [/aws_secretsmanager_secret_version\.[\w-]+\.secret_string/, /aws_secretsmanager_random_password\.[\w-]+\.random_password/];

describe.each([...stacks].filter(([name]) => name.startsWith('billing-')))('%s', (_name, synth) => {
  const resourceStrings = strings(synth.json.resource, 'resource');
  const outputStrings = strings(synth.json.output ?? {}, 'output');

  test('no API key exists, so no key value can be referenced', () => {
    expect(resourceStrings.filter(({ text }) => KEY_VALUE_REF.test(text))).toEqual([]);
    expect(Object.keys(synth.json.resource as JsonObject)).not.toContain('aws_api_gateway_api_key');
  });

  test('the origin secret reaches only the CloudFront origin header and the handlers environment', () => {
    const places = resourceStrings
      .filter(({ text }) => SECRET_REFS.some((re) => re.test(text)))
      .map(({ path }) => path.replace(/\.[\w-]+?_[0-9A-F]{8}\./, '.<id>.'));
    expect(places.length).toBeGreaterThan(0);
    for (const place of places) {
      expect(place).toMatch(
        /^resource\.(aws_cloudfront_distribution\.<id>\.origin\[0\]\.custom_header\[0\]\.value|aws_lambda_function\.<id>\.environment\.variables\.ORIGIN_SECRET|aws_secretsmanager_secret_version\.<id>\.secret_string)$/,
      );
    }
  });

  test('no output references a key value or a secret', () => {
    expect(outputStrings.length).toBeGreaterThan(5);
    for (const { path, text } of outputStrings) {
      expect({ path, keyValue: KEY_VALUE_REF.test(text), secret: SECRET_REFS.some((re) => re.test(text)) }).toEqual({ path, keyValue: false, secret: false });
      KEY_VALUE_REF.lastIndex = 0;
    }
  });

  test('the checks above can fail: a planted output referencing a key value is found', () => {
    const planted: JsonObject = { leak: { value: '${aws_api_gateway_api_key.keys_key-x_ABCDEF12.value}' } };
    expect(strings(planted, 'output').some(({ text }) => new RegExp(KEY_VALUE_REF.source).test(text))).toBe(true);
  });
});
