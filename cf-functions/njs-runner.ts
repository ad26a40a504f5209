/**
 * Runs the edge function in Debian's njs (nginx's JavaScript engine, the closest local relative
 * of the CloudFront Functions runtime): the function's source, followed by the events as a JSON
 * literal and a loop calling handler(event), goes to one `njs -t module` process, which prints one
 * JSON array of results. Each event runs on its own deep copy; a throw is reported per event.
 * The function's `import cf from 'cloudfront';` resolves to a stub module file in a temporary
 * directory passed with `-p`; the loop imports the same module again to take, after each call,
 * the values the function passed to logCustomData.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CloudFrontEvent } from './event';
import { DEFAULT_FUNCTION_PATH, validateEdgeSource, type EdgeRun } from './sandbox';

export type NjsOutcome = { readonly ok: true; readonly run: EdgeRun } | { readonly ok: false; readonly error: string };

export class NjsMissingError extends Error {}

const NJS_BINARY = process.env.NJS_BINARY ?? 'njs';

/** Start of the name of the temporary directory holding the `cloudfront` module, in os.tmpdir(). */
export const NJS_MODULE_DIR_PREFIX = 'njs-cloudfront-';

/**
 * The `cloudfront` module njs loads: logCustomData records its values until takeCalls(); kvs()
 * reads the store written into the module (get() rejects for a missing key, exists() resolves a
 * boolean), like the sandbox's. Without a store, kvs() throws.
 */
function cloudfrontModule(store: Readonly<Record<string, string>> | undefined): string {
  return `var calls = [];
var store = ${store === undefined ? 'undefined' : `JSON.parse(${JSON.stringify(asciiJson(store))})`};
function logCustomData(value) { if (typeof value !== 'string') throw new TypeError('logCustomData takes a string'); calls.push(value); }
function takeCalls() { var c = calls; calls = []; return c; }
function read(key) {
  if (typeof key !== 'string') throw new TypeError('kvs: key must be a string');
  return Object.prototype.hasOwnProperty.call(store, key) ? store[key] : undefined;
}
function kvs() {
  if (store === undefined) throw new Error('cf.kvs(): no key value store is associated with this function');
  return {
    get: function (key) { return new Promise(function (resolve, reject) { var v = read(key); if (v === undefined) reject(new Error('kvs.get: key does not exist: ' + key)); else resolve(v); }); },
    exists: function (key) { return new Promise(function (resolve) { resolve(read(key) !== undefined); }); }
  };
}
export default { logCustomData: logCustomData, takeCalls: takeCalls, kvs: kvs };
`;
}

/** JSON with every non-ASCII UTF-16 unit escaped, so the literal survives any source encoding. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** `njs -v`, or an error naming what to install when the binary is missing. */
export function njsVersion(binary: string = NJS_BINARY): string {
  const probe = spawnSync(binary, ['-v'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new NjsMissingError(
      `njs is not installed (tried "${binary}"): install the Debian package "njs" (bash .ci/run does) to test the edge function's dialect`,
    );
  }
  return probe.stdout.trim();
}

function njsProgram(source: string, events: readonly CloudFrontEvent[]): string {
  return [
    source,
    ';',
    "import __cfRecorder from 'cloudfront';",
    // Parsed from a string, not written as an object literal, so "__proto__" stays a plain key.
    `var __events = JSON.parse(${JSON.stringify(asciiJson(events))});`,
    'var __out = [];',
    'function __next(i) {',
    '  if (i === __events.length) { __print(); return; }',
    '  var __p;',
    '  try { __p = Promise.resolve(handler(__events[i])); } catch (e) { __p = Promise.reject(e); }',
    '  __p.then(function (r) { __out.push({ ok: true, run: { result: r, logData: __cfRecorder.takeCalls() } }); },',
    '    function (e) { __cfRecorder.takeCalls(); __out.push({ ok: false, error: String(e) }); })',
    '    .then(function () { __next(i + 1); });',
    '}',
    'function __print() {',
    // njs 0.7.9's console.log cuts a line at 2048 bytes: print ASCII-only chunks of 1000.
    'var __json = JSON.stringify(__out).replace(/[\\u007f-\\uffff]/g, function (c) { return "\\\\u" + ("0000" + c.charCodeAt(0).toString(16)).slice(-4); });',
    'for (var __j = 0; __j < __json.length; __j += 1000) console.log(__json.slice(__j, __j + 1000));',
    '}',
    '__next(0);',
  ].join('\n');
}

/**
 * Runs each event through the function in one njs process. `store` is the key value store
 * associated with the function (key to value); without one, cf.kvs() throws.
 */
export function runInNjs(events: readonly CloudFrontEvent[], path: string = DEFAULT_FUNCTION_PATH, store?: Readonly<Record<string, string>>): NjsOutcome[] {
  njsVersion();
  const source = readFileSync(path, 'utf8');
  validateEdgeSource(source, path);
  // The process id in the name lets a test find its own directory among parallel workers'.
  const moduleDir = mkdtempSync(join(tmpdir(), `${NJS_MODULE_DIR_PREFIX}${process.pid}-`));
  try {
    writeFileSync(join(moduleDir, 'cloudfront'), cloudfrontModule(store));
    const run = spawnSync(NJS_BINARY, ['-t', 'module', '-p', moduleDir, '-'], {
      input: njsProgram(source, events),
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    if (run.status !== 0) {
      throw new Error(`njs exited with ${String(run.status)}: ${run.stderr.trim() || run.stdout.trim()}`);
    }
    const parsed = JSON.parse(run.stdout.split('\n').join('')) as NjsOutcome[];
    if (parsed.length !== events.length) {
      throw new Error(`njs returned ${parsed.length} results for ${events.length} events`);
    }
    return parsed;
  } finally {
    rmSync(moduleDir, { recursive: true, force: true });
  }
}
