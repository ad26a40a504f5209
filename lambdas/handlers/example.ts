/** GET /example: a fixed message, the time and the caller's API key id (seed API behaviour). */
import { jsonResponse } from './http';
import { apiKeyIdOf, proxyHandler } from './proxy-handler';

export const handler = proxyHandler({ method: 'GET', path: '/example' }, (event) =>
  jsonResponse(200, {
    message: 'Example endpoint response',
    timestamp: new Date().toISOString(),
    apiKeyId: apiKeyIdOf(event),
  }),
);
