/** The route table agrees with the handler files it names. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HANDLERS } from './bundle';
import { handlerEntry, ROUTES } from './routes';

const REPO_ROOT = join(__dirname, '..');

test.each(ROUTES.map((r) => [r.name, r] as const))('route %s: its handler file exports the same route and handler', (name, route) => {
  const entry = join(REPO_ROOT, handlerEntry(name));
  expect(existsSync(entry)).toBe(true);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loads the file the bundler builds
  const module = require(entry) as { route: unknown; handler: unknown };
  expect(module.route).toEqual({
    method: route.method,
    path: route.path,
    ...(route.apiKeyRequired === false ? { apiKeyRequired: false, throttle: route.throttle } : {}),
  });
  expect(module.handler).toBe(route.handler);
});

test('names and method + path pairs are unique; paths are one segment under the root', () => {
  expect(new Set(ROUTES.map((r) => r.name)).size).toBe(ROUTES.length);
  expect(new Set(ROUTES.map((r) => `${r.method} ${r.path}`)).size).toBe(ROUTES.length);
  for (const r of ROUTES) expect(r.path).toMatch(/^\/[a-z0-9-]+$/);
});

test('a route without an API key carries its own method throttle (no usage plan limits it)', () => {
  for (const r of ROUTES.filter((route) => route.apiKeyRequired === false)) {
    expect(r.throttle).toEqual({ rateLimit: expect.any(Number), burstLimit: expect.any(Number) });
  }
  expect(ROUTES.filter((route) => route.apiKeyRequired === false).map((r) => r.name)).toEqual(['usage']);
});

test('the bundler builds one bundle per route (the billing stack and the local platform check theirs)', () => {
  expect(HANDLERS.map((h) => [h.name, h.entry])).toEqual(ROUTES.map((r) => [r.name, handlerEntry(r.name)]));
});
