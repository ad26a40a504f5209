/** The local platform dispatches exactly the routes of lambdas/routes.ts to their handlers. */
import { ROUTES as API_ROUTES } from '../lambdas/routes';
import { ROUTES } from './platform';

test('one gateway route per route of the table, to the same handler', () => {
  expect([...ROUTES.entries()]).toEqual(API_ROUTES.map((r) => [`${r.method} ${r.path}`, r.handler]));
});
