/** The local platform dispatches exactly the routes of lambdas/routes.ts to their handlers. */
import { ROUTES as API_ROUTES } from '../lambdas/routes';
import { usageHourlySql } from '../sql/usage-query';
import { KEYLESS_ROUTES, ROUTES } from './platform';

test('one gateway route per route of the table, to the same handler', () => {
  expect([...ROUTES.entries()]).toEqual(API_ROUTES.map((r) => [`${r.method} ${r.path}`, r.handler]));
});

test('the routes without an API key are exactly the ones the table marks, with their throttle', () => {
  expect([...KEYLESS_ROUTES.entries()]).toEqual(API_ROUTES.filter((r) => r.apiKeyRequired === false).map((r) => [`${r.method} ${r.path}`, r.throttle]));
});

test('the usage SQL never bills exactly the keyless routes: its lookup test names each, and only them', () => {
  const lookups = [...usageHourlySql().matchAll(/cs_method = '([A-Z]+)' AND cs_uri_stem = '([^']+)'/g)].map((m) => `${m[1]} ${m[2]}`);
  expect(lookups).toEqual([...KEYLESS_ROUTES.keys()]);
});
