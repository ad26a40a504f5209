/**
 * The API's routes, in one table. Adding a route is two files: the handler
 * (lambdas/handlers/<name>.ts, exporting `route` and `handler`) and its line here. The billing
 * stack builds API Gateway resources, methods, integrations and one Lambda function per line; the
 * bundler builds lambdas/handlers/<name>.ts; the local platform dispatches to `handler`.
 */
import * as data from './handlers/data';
import * as example from './handlers/example';
import * as usage from './handlers/usage';
import type { ProxyHandler } from './handlers/http';
import type { Route } from './handlers/proxy-handler';

export interface ApiRoute extends Route {
  /** The handler's file name under lambdas/handlers/ and its Lambda function's name suffix. */
  readonly name: string;
  readonly handler: ProxyHandler;
}

export const ROUTES: readonly ApiRoute[] = [
  { name: 'example', ...example.route, handler: example.handler },
  { name: 'data', ...data.route, handler: data.handler },
  { name: 'usage', ...usage.route, handler: usage.handler },
];

/** Entry file of a route's handler, relative to the repository root. */
export function handlerEntry(name: string): string {
  return `lambdas/handlers/${name}.ts`;
}
