/**
 * The sandbox itself: it must expose only what the CloudFront Functions runtime offers, load the
 * supported `import` lines and refuse every other module syntax, record cf.logCustomData per call,
 * enforce the size and declaration rules, and convert HTTP requests to events and back without
 * changing a byte of the query string. Also the njs runner's own behaviour.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NJS_MODULE_DIR_PREFIX, njsVersion, runInNjs } from './njs-runner';
import {
  EdgeFunctionError,
  fromCloudFrontRequest,
  isCloudFrontResponse,
  loadEdgeFunction,
  MAX_FUNCTION_BYTES,
  parseQueryString,
  toCloudFrontEvent,
  toQueryString,
  validateEdgeSource,
} from './sandbox';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edge-sandbox-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeFunction(name: string, source: string): string {
  const path = join(dir, name);
  writeFileSync(path, source);
  return path;
}

/** A function that reports, in the response body, what its global scope holds. */
const PROBE = `var self = this;
function handler(event) {
  var seen = {};
  var names = ['process', 'Buffer', 'setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'fetch', 'global', 'module', 'exports', '__dirname', '__import'];
  for (var i = 0; i < names.length; i++) seen[names[i]] = typeof self[names[i]];
  var modules = {};
  ['fs', 'child_process', 'http', 'querystring', 'buffer'].forEach(function (m) {
    try { require(m); modules[m] = 'loaded'; } catch (e) { modules[m] = 'refused'; }
  });
  console.log('probe', 1);
  return { statusCode: 200, body: JSON.stringify({ seen: seen, modules: modules, crypto: typeof require('crypto').createHash }) };
}
`;

/** Logs the uri, a second value for POST, a number (refused) for PUT; returns the request. */
const RECORDER = `import cf from 'cloudfront';
function handler(event) {
  cf.logCustomData(event.request.uri);
  if (event.request.method === 'POST') cf.logCustomData('second');
  if (event.request.method === 'PUT') cf.logCustomData(42);
  return event.request;
}
`;

describe('loadEdgeFunction sandbox', () => {
  it('exposes no Node globals and no module but crypto; console.log is collected', () => {
    const probe = loadEdgeFunction(writeFunction('probe.js', PROBE));
    const { result } = probe(toCloudFrontEvent('GET', '/', {}));
    if (!isCloudFrontResponse(result) || typeof result.body !== 'string') throw new Error('probe returned no body');
    const report = JSON.parse(result.body) as { seen: Record<string, string>; modules: Record<string, string>; crypto: string };
    for (const name of [
      'process',
      'Buffer',
      'setTimeout',
      'setInterval',
      'setImmediate',
      'queueMicrotask',
      'fetch',
      'global',
      'module',
      'exports',
      '__dirname',
      '__import',
    ]) {
      expect([name, report.seen[name]]).toEqual([name, 'undefined']);
    }
    expect(report.modules).toEqual({ fs: 'refused', child_process: 'refused', http: 'refused', querystring: 'refused', buffer: 'refused' });
    expect(report.crypto).toBe('function');
    expect(probe.logs).toEqual(['probe 1']);
  });

  it('refuses code generation from strings (eval), which the runtime does not need', () => {
    const f = loadEdgeFunction(writeFunction('eval.js', 'function handler(event) { return eval("event.request"); }\n'));
    expect(() => f(toCloudFrontEvent('GET', '/', {}))).toThrow(/Code generation from strings disallowed/);
  });

  it('implements createHash for md5, sha1 and sha256 with hex, base64 and base64url digests', () => {
    const source = `var crypto = require('crypto');
function handler(event) {
  var out = {};
  ['md5', 'sha1', 'sha256'].forEach(function (alg) {
    ['hex', 'base64', 'base64url'].forEach(function (enc) {
      out[alg + '/' + enc] = crypto.createHash(alg).update('caf').update('\\u00e9').digest(enc);
    });
  });
  return { statusCode: 200, body: JSON.stringify(out) };
}`;
    const { result } = loadEdgeFunction(writeFunction('hash.js', source))(toCloudFrontEvent('GET', '/', {}));
    if (!isCloudFrontResponse(result) || typeof result.body !== 'string') throw new Error('no body');
    const digests = JSON.parse(result.body) as Record<string, string>;
    for (const alg of ['md5', 'sha1', 'sha256'] as const) {
      for (const enc of ['hex', 'base64', 'base64url'] as const) {
        expect(digests[`${alg}/${enc}`]).toBe(createHash(alg).update('café', 'utf8').digest(enc));
      }
    }
  });

  it('rejects unknown hash algorithms and digests without an encoding', () => {
    const bad = (body: string) =>
      loadEdgeFunction(writeFunction('bad-hash.js', `var c = require('crypto');\nfunction handler(event) { ${body} }\n`))(toCloudFrontEvent('GET', '/', {}));
    expect(() => bad("return c.createHash('sha512');")).toThrow(/unsupported algorithm sha512/);
    expect(() => bad("return c.createHash('sha256').update('x').digest();")).toThrow(/encoding must be one of/);
  });

  it(`accepts a function of exactly ${MAX_FUNCTION_BYTES} bytes and rejects one byte more`, () => {
    const head = 'function handler(event) { return event.request; }\n//';
    const exact = head + 'x'.repeat(MAX_FUNCTION_BYTES - head.length);
    expect(Buffer.byteLength(exact)).toBe(MAX_FUNCTION_BYTES);
    expect(loadEdgeFunction(writeFunction('exact.js', exact)).sizeBytes).toBe(MAX_FUNCTION_BYTES);
    expect(() => loadEdgeFunction(writeFunction('over.js', exact + 'x'))).toThrow(
      new EdgeFunctionError(`${join(dir, 'over.js')} is ${MAX_FUNCTION_BYTES + 1} bytes; CloudFront Functions allow at most ${MAX_FUNCTION_BYTES}`),
    );
  });

  it('requires a top-level function handler(event)', () => {
    expect(() => loadEdgeFunction(writeFunction('arrow.js', 'var handler = (event) => event.request;\n'))).toThrow(
      /must declare a top-level "function handler\(event\)"/,
    );
    expect(() => loadEdgeFunction(writeFunction('nested.js', 'var x = { f: function () {\n  function handler(event) { return 1; }\n} };\n'))).toThrow(
      /top-level/,
    );
  });

  it('stops a function that loops instead of hanging', () => {
    const f = loadEdgeFunction(writeFunction('loop.js', 'function handler(event) { for (;;) {} }\n'));
    expect(() => f(toCloudFrontEvent('GET', '/', {}))).toThrow(/timed out/);
  });
});

describe('import loader', () => {
  it("turns import NAME from 'cloudfront' and 'crypto' into the modules, keeping line numbers", () => {
    const source = [
      "import cf from 'cloudfront';",
      "import hashes from 'crypto';",
      'function handler(event) {',
      "  cf.logCustomData(hashes.createHash('sha1').update('a').digest('hex'));",
      "  if (event.request.uri === '/throw') throw new Error('on line 5');",
      "  return { statusCode: 200, body: typeof require('crypto').createHash };",
      '}',
    ].join('\n');
    const path = writeFunction('imports.js', source);
    const f = loadEdgeFunction(path);
    expect(f(toCloudFrontEvent('GET', '/', {}))).toStrictEqual({
      result: { statusCode: 200, body: 'function' },
      logData: [createHash('sha1').update('a').digest('hex')],
    });
    let stack = '';
    try {
      f(toCloudFrontEvent('GET', '/throw', {}));
    } catch (error) {
      stack = String((error as Error).stack);
    }
    expect(stack).toContain(`${path}:5`);
  });

  it('accepts CRLF line ends and import/export used as property names', () => {
    const source =
      "import cf from 'cloudfront';\r\nvar o = {\r\n  import: 1,\r\n  export: 2\r\n};\r\nfunction handler(event) { cf.logCustomData('x'); return event.request; }\r\n";
    expect(loadEdgeFunction(writeFunction('crlf.js', source))(toCloudFrontEvent('GET', '/', {})).logData).toEqual(['x']);
  });

  it.each([
    ["import { logCustomData } from 'cloudfront';"],
    ["import * as cf from 'cloudfront';"],
    ["import cf from 'fs';"],
    ["import cf from 'cloudfront.js';"],
    ['import cf from "cloudfront";'],
    ["import cf from 'cloudfront'"],
    ["  import cf from 'cloudfront';"],
    ["import 'cloudfront';"],
    ['export default handler;'],
    ['export function helper() {}'],
    ["var cf = import('cloudfront');"],
    ['var here = import.meta;'],
    ["var a = 1; import cf from 'cloudfront';"],
  ])('refuses %s, naming the line', (line) => {
    const path = writeFunction('bad-import.js', `function handler(event) { return event.request; }\n${line}\n`);
    expect(() => loadEdgeFunction(path)).toThrow(EdgeFunctionError);
    expect(() => loadEdgeFunction(path)).toThrow(`${path}:2:`);
  });

  it('is part of validateEdgeSource, which the njs runner also applies', () => {
    expect(() => validateEdgeSource("import fs from 'fs';\nfunction handler(event) { return event.request; }\n", 'f.js')).toThrow(
      new EdgeFunctionError(`f.js:1: only top-level "import NAME from 'cloudfront';" or "import NAME from 'crypto';" is supported, not: import fs from 'fs';`),
    );
  });
});

describe("the sandbox's cloudfront module", () => {
  it('records the values passed to logCustomData, per call and in order', () => {
    const f = loadEdgeFunction(writeFunction('recorder.js', RECORDER));
    const first = f(toCloudFrontEvent('GET', '/a', {}));
    expect(first.logData).toEqual(['/a']);
    expect(f(toCloudFrontEvent('POST', '/b', {})).logData).toEqual(['/b', 'second']);
    expect(f(toCloudFrontEvent('GET', '/c', {})).logData).toEqual(['/c']);
    expect(first.logData).toEqual(['/a']);
    expect(
      loadEdgeFunction(writeFunction('silent.js', 'function handler(event) { return event.request; }\n'))(toCloudFrontEvent('GET', '/', {})).logData,
    ).toEqual([]);
  });

  it("refuses a value that is not a string with the function's own TypeError", () => {
    const f = loadEdgeFunction(writeFunction('recorder.js', RECORDER));
    expect(() => f(toCloudFrontEvent('PUT', '/x', {}))).toThrow(/^logCustomData takes a string$/);
    expect(f(toCloudFrontEvent('GET', '/y', {})).logData).toEqual(['/y']);
    const source = `import cf from 'cloudfront';
function handler(event) {
  var out = [];
  [42, undefined, null, {}, new String('s'), ['a'], 's'].forEach(function (v) {
    try { cf.logCustomData(v); out.push('accepted'); } catch (e) { out.push(e instanceof TypeError ? 'TypeError' : 'other'); }
  });
  return { statusCode: 200, body: out.join(',') };
}
`;
    expect(loadEdgeFunction(writeFunction('types.js', source))(toCloudFrontEvent('GET', '/', {}))).toStrictEqual({
      result: { statusCode: 200, body: 'TypeError,TypeError,TypeError,TypeError,TypeError,TypeError,accepted' },
      logData: ['s'],
    });
  });
});

describe('HTTP request <-> CloudFront event', () => {
  it('builds the documented event shape: lowercase header names, multiValue, cookies apart', () => {
    const event = toCloudFrontEvent('get', '/data?a=1&a=2&b=&c&d=%20x%2B', {
      'X-Api-Key': 'key',
      Accept: ['text/plain', 'application/json'],
      Cookie: 'sid=1; theme=dark',
    });
    expect(event).toEqual({
      version: '1.0',
      context: { eventType: 'viewer-request' },
      viewer: { ip: '127.0.0.1' },
      request: {
        method: 'GET',
        uri: '/data',
        querystring: {
          a: { value: '1', multiValue: [{ value: '1' }, { value: '2' }] },
          b: { value: '' },
          c: { value: '' },
          d: { value: '%20x%2B' },
        },
        headers: {
          'x-api-key': { value: 'key' },
          accept: { value: 'text/plain', multiValue: [{ value: 'text/plain' }, { value: 'application/json' }] },
        },
        cookies: { sid: { value: '1' }, theme: { value: 'dark' } },
      },
    });
  });

  it('gives back the same query string, encoding untouched', () => {
    for (const query of ['a=1&a=2&b=3', 'q=%E6%97%A5%E6%9C%AC&x=a%26b', 'k%5Fx=1&k=%3D%3D', 'APIKEY_FP=1&z=']) {
      expect(toQueryString(parseQueryString(query))).toBe(query);
    }
    expect(toQueryString(parseQueryString(''))).toBe('');
  });

  it('turns a returned request back into method, URL and headers', () => {
    const event = toCloudFrontEvent('POST', '/data?x=1', { 'content-type': 'application/json', cookie: 'a=1' });
    event.request.querystring.apikey_fp = { value: '0123456789abcdef' };
    expect(fromCloudFrontRequest(event.request)).toEqual({
      method: 'POST',
      url: '/data?x=1&apikey_fp=0123456789abcdef',
      headers: { 'content-type': ['application/json'], cookie: ['a=1'] },
    });
    expect(fromCloudFrontRequest(toCloudFrontEvent('GET', '/example', {}).request).url).toBe('/example');
  });
});

describe('njs runner', () => {
  it('fails with a message naming the package when the njs binary is missing', () => {
    expect(() => njsVersion(join(dir, 'no-such-njs'))).toThrow(/install the Debian package "njs"/);
  });

  it("gives each event its own log data from the cloudfront module, and njs's TypeError for a non-string", () => {
    const events = [
      toCloudFrontEvent('GET', '/a', {}),
      toCloudFrontEvent('POST', '/b', {}),
      toCloudFrontEvent('PUT', '/x', {}),
      toCloudFrontEvent('GET', '/c', {}),
    ];
    expect(runInNjs(events, writeFunction('recorder.js', RECORDER))).toStrictEqual([
      { ok: true, run: { result: events[0].request, logData: ['/a'] } },
      { ok: true, run: { result: events[1].request, logData: ['/b', 'second'] } },
      { ok: false, error: 'TypeError: logCustomData takes a string' },
      { ok: true, run: { result: events[3].request, logData: ['/c'] } },
    ]);
  });

  it("refuses an import the edge does not offer before njs runs (njs itself has 'fs')", () => {
    const path = writeFunction('fs-import.js', "import fs from 'fs';\nfunction handler(event) { return event.request; }\n");
    expect(() => runInNjs([toCloudFrontEvent('GET', '/', {})], path)).toThrow(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1: `));
  });

  it('holds the cloudfront module in a temporary directory only while njs runs', () => {
    const prefix = `${NJS_MODULE_DIR_PREFIX}${process.pid}-`;
    const ours = () => readdirSync(tmpdir()).filter((name) => name.startsWith(prefix));
    expect(ours()).toEqual([]);
    // The function looks for the directory from inside njs (njs has fs; CloudFront does not).
    const lister = writeFunction(
      'lister.js',
      `var fs = require('fs');
function handler(event) {
  var root = ${JSON.stringify(tmpdir())};
  var dirs = fs.readdirSync(root).filter(function (n) { return n.indexOf(${JSON.stringify(prefix)}) === 0; });
  return { statusCode: 200, body: JSON.stringify([dirs.length, fs.readdirSync(root + '/' + dirs[0])]) };
}
`,
    );
    const [outcome] = runInNjs([toCloudFrontEvent('GET', '/', {})], lister);
    expect(outcome).toStrictEqual({ ok: true, run: { result: { statusCode: 200, body: '[1,["cloudfront"]]' }, logData: [] } });
    expect(ours()).toEqual([]);
    const broken = writeFunction('broken.js', 'function handler(event) { return event.request; }\nvar x = {;\n');
    expect(() => runInNjs([toCloudFrontEvent('GET', '/', {})], broken)).toThrow(/njs exited with 1: .*SyntaxError/s);
    expect(ours()).toEqual([]);
  });
});
