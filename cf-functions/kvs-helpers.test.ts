/**
 * The key value store helpers both engines give the function (cf.kvs(): get() rejects for a
 * missing key, exists() resolves a boolean, https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-custom-methods.html):
 * the Node sandbox and the njs stub must agree, the sandbox must read the store afresh on each
 * call (the local platform revokes keys while it runs), and an async handler must settle within
 * the call.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNjs } from './njs-runner';
import { EdgeFunctionError, loadEdgeFunction, toCloudFrontEvent } from './sandbox';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edge-kvs-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeFunction(name: string, source: string): string {
  const path = join(dir, name);
  writeFileSync(path, source);
  return path;
}

/** Reports, for the key in the uri, exists() and get() (or get()'s rejection). */
const REPORTER = `import cf from 'cloudfront';
var kvs = cf.kvs();
async function handler(event) {
  var key = event.request.uri.slice(1);
  var present = await kvs.exists(key);
  var value;
  try { value = await kvs.get(key); } catch (e) { value = 'rejected'; }
  return { statusCode: 200, body: JSON.stringify([present, value]) };
}
`;

const body = (uri: string) => toCloudFrontEvent('GET', uri, {});

describe('key value store helpers', () => {
  const store: Record<string, string> = { a: 'active', b: 'until:1' };

  it('agree between the sandbox and njs: get() rejects a missing key, exists() is a boolean', () => {
    const path = writeFunction('reporter.js', REPORTER);
    const edge = loadEdgeFunction(path, { kvs: (key) => (Object.hasOwn(store, key) ? store[key] : undefined) });
    const events = ['/a', '/b', '/missing', '/__proto__'].map(body);
    const sandbox = events.map((event) => edge(event).result);
    expect(sandbox.map((r) => ('body' in r ? r.body : undefined))).toEqual(['[true,"active"]', '[true,"until:1"]', '[false,"rejected"]', '[false,"rejected"]']);
    expect(runInNjs(events, path, store).map((o) => (o.ok ? o.run.result : o.error))).toStrictEqual(sandbox);
  });

  it('reads the store afresh on each call in the sandbox', () => {
    const live: Record<string, string> = {};
    const edge = loadEdgeFunction(writeFunction('live.js', REPORTER), { kvs: (key) => live[key] });
    expect(edge(body('/k')).result).toMatchObject({ body: '[false,"rejected"]' });
    live.k = 'active';
    expect(edge(body('/k')).result).toMatchObject({ body: '[true,"active"]' });
    delete live.k;
    expect(edge(body('/k')).result).toMatchObject({ body: '[false,"rejected"]' });
  });

  it('has no store unless one is associated: cf.kvs() throws in both engines', () => {
    const path = writeFunction('no-store.js', REPORTER);
    expect(() => loadEdgeFunction(path)).toThrow(EdgeFunctionError);
    expect(() => runInNjs([body('/a')], path)).toThrow(/no key value store is associated/);
  });

  it('fails a call whose promise is still pending after the microtasks ran', () => {
    const path = writeFunction('pending.js', 'async function handler(event) { await new Promise(function () {}); return event.request; }\n');
    expect(() => loadEdgeFunction(path)(body('/'))).toThrow("handler's promise did not settle");
  });

  it("turns a rejected handler into the call's error, like a throw", () => {
    const path = writeFunction('rejects.js', "async function handler(event) { throw new Error('boom'); }\n");
    expect(() => loadEdgeFunction(path)(body('/'))).toThrow('boom');
    expect(runInNjs([body('/')], path)).toStrictEqual([{ ok: false, error: 'Error: boom' }]);
  });
});
