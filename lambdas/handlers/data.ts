/** POST /data: echoes a JSON body back with the time and the caller's API key id (seed API). */
import { errorResponse, jsonResponse } from './http';
import { readJsonBody } from './json-body';
import { apiKeyIdOf, proxyHandler, type Route } from './proxy-handler';

export const route: Route = { method: 'POST', path: '/data' };

export const handler = proxyHandler(route, (event) => {
  const body = readJsonBody(event);
  if (!body.ok) return errorResponse(body.status, body.message);
  return jsonResponse(200, {
    message: 'Data received successfully',
    timestamp: new Date().toISOString(),
    apiKeyId: apiKeyIdOf(event),
    dataReceived: body.value,
  });
});
