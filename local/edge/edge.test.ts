/** The local edge runs the real cf-functions/viewer-request.js and says what CloudFront does next. */
import { apiKeyFingerprint } from '../../lambdas/shared/api-key';
import { LocalEdge } from './edge';

const edge = new LocalEdge();
const KEY = 'k'.repeat(30);
const call = (url: string, headers: Record<string, string> = {}) =>
  edge.viewerRequest({ method: 'GET', url, headers, clientIp: '127.0.0.1', edgeRequestId: 'r1', distributionId: 'ELOCALPLATFORM', host: 'h' });

test('a well-formed key is forwarded with its fingerprint in place of any forged one', () => {
  const d = call('/example?APIKEY_FP=forged&x=1&apikey_fp=forged2', { 'x-api-key': KEY, 'user-agent': 'u' });
  expect(d.kind).toBe('forward');
  if (d.kind !== 'forward') return;
  expect(d.path).toBe('/example');
  expect(d.query).toBe(`x=1&apikey_fp=${apiKeyFingerprint(KEY)}`);
  expect(d.headers['x-api-key']).toEqual([KEY]);
  expect(d.headers['user-agent']).toEqual(['u']);
});

test("the function's 403 is answered at the edge; the logged query never keeps a client apikey_fp", () => {
  const d = call('/example?a=1&ApiKey_Fp=0123456789abcdef&b=2');
  expect(d).toMatchObject({ kind: 'respond', statusCode: 403, query: 'a=1&b=2' });
  if (d.kind !== 'respond') return;
  expect(JSON.parse(d.body.toString())).toEqual({ message: 'Forbidden' });
  expect(d.headers['content-type']).toBe('application/json');
});
