/** GET /example: a fixed message, the time and the caller's API key id (seed API behaviour). */
import { jsonResponse } from './http';
import { apiKeyIdOf, proxyHandler, type Route } from './proxy-handler';

export const route: Route = { method: 'GET', path: '/example' };

export const handler = proxyHandler(route, (event) =>
  jsonResponse(200, {
    message: 'Example endpoint response',
    timestamp: new Date().toISOString(),
    apiKeyId: apiKeyIdOf(event),
  }),
);
