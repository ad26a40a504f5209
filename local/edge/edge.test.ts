/** The local edge runs the real cf-functions/viewer-request.js and says what CloudFront does next. */
import { apiKeyFingerprint } from '../../contracts/api-key';
import { LocalEdge } from './edge';

const KEY = 'k'.repeat(30);
const UNKNOWN = 'u'.repeat(30);
const edge = new LocalEdge((fp) => (fp === apiKeyFingerprint(KEY) ? 'active' : undefined));
const OTHER_FP = apiKeyFingerprint('o'.repeat(30));
const call = (url: string, headers: Record<string, string> = {}) =>
  edge.viewerRequest({ method: 'GET', url, headers, clientIp: '127.0.0.1', edgeRequestId: 'r1', distributionId: 'ELOCALPLATFORM', host: 'h' });

test('a well-formed key is forwarded unchanged and its own fingerprint is logged, whatever the query names', () => {
  const d = call(`/example?APIKEY_FP=forged&x=1&apikey_fp=${OTHER_FP}`, { 'x-api-key': KEY, 'user-agent': 'u' });
  expect(d).toMatchObject({ kind: 'forward', path: '/example', query: `APIKEY_FP=forged&x=1&apikey_fp=${OTHER_FP}`, logData: apiKeyFingerprint(KEY) });
  if (d.kind !== 'forward') return;
  expect(d.headers['x-api-key']).toEqual([KEY]);
  expect(d.headers['user-agent']).toEqual(['u']);
});

test("the function's 403 is answered at the edge and logs nothing, even when the query names a fingerprint", () => {
  const d = call(`/example?a=1&apikey_fp=${OTHER_FP}&b=2`);
  expect(d).toMatchObject({ kind: 'respond', statusCode: 403, logData: '-' });
  if (d.kind !== 'respond') return;
  expect(JSON.parse(d.body.toString())).toEqual({ message: 'Forbidden' });
  expect(d.headers['content-type']).toBe('application/json');
});

test("a well-formed key the store does not hold gets the function's 403, with its fingerprint logged", () => {
  const d = call('/example', { 'x-api-key': UNKNOWN });
  expect(d).toMatchObject({ kind: 'respond', statusCode: 403, logData: apiKeyFingerprint(UNKNOWN) });
});
