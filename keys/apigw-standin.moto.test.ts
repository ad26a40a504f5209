/**
 * The throttling stand-in answers TooManyRequestsException exactly at AWS's published limits
 * (keys/limits.ts): 40 calls at once then 10 a second for the account, 5 a second for CreateApiKey.
 * Its clock is frozen and moved by hand, so the counts do not depend on this machine's speed.
 */
import { APIGatewayClient, GetApiKeysCommand } from '@aws-sdk/client-api-gateway';
import { useMotoServer } from '../test-support/moto-server';
import { startApiGatewayStandin, type ApiGatewayStandin } from './testing/apigw-standin';
import { motoAuth } from './testing/moto-keys';

const moto = useMotoServer();
let standin: ApiGatewayStandin;
let now = 0;

beforeAll(async () => {
  standin = await startApiGatewayStandin(moto.endpoint, { clock: () => now });
});
afterAll(() => standin?.stop());

const call = (method: string, path: string, body?: unknown) =>
  fetch(`${standin.endpoint}${path}`, {
    method,
    headers: { ...motoAuth('eu-west-1'), 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });

describe('API Gateway throttling stand-in', () => {
  it('lets 40 calls through at once, then 10 per second, and answers the rest with TooManyRequestsException', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 45; i++) statuses.push((await call('GET', '/apikeys')).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(40);
    expect(statuses.slice(40)).toEqual([429, 429, 429, 429, 429]);
    const client = new APIGatewayClient({
      region: 'eu-west-1',
      endpoint: standin.endpoint,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      maxAttempts: 1,
    });
    await expect(client.send(new GetApiKeysCommand({}))).rejects.toMatchObject({ name: 'TooManyRequestsException', $metadata: { httpStatusCode: 429 } });
    now += 1000;
    const next: number[] = [];
    for (let i = 0; i < 11; i++) next.push((await call('GET', '/apikeys')).status);
    expect(next.filter((s) => s === 200)).toHaveLength(10);
  });

  it('limits CreateApiKey to 5 per second within the account limit', async () => {
    now += 10_000;
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++)
      statuses.push((await call('POST', '/apikeys', { name: `t-${i}`, value: `throttle-test-value-${i}-abcdefghij`, enabled: true })).status);
    expect(statuses).toEqual([201, 201, 201, 201, 201, 429, 429]);
    now += 200;
    expect((await call('POST', '/apikeys', { name: 't-8', value: 'throttle-test-value-8-abcdefghij', enabled: true })).status).toBe(201);
    expect(standin.stats.throttledByOperation.CreateApiKey).toBe(2);
  });

  it('ImportApiKeys overwrites a key imported again and refuses a short key with failonwarnings', async () => {
    now += 10_000;
    const csv = (name: string) => `Name,Key,Description,Enabled\n${name},imported-key-value-0123456789,Imported,TRUE\n`;
    const post = (body: string, warn = true) =>
      fetch(`${standin.endpoint}/apikeys?mode=import&format=csv${warn ? '&failonwarnings=true' : ''}`, {
        method: 'POST',
        headers: motoAuth('eu-west-1'),
        body,
      });
    const first = (await (await post(csv('first'))).json()) as { ids: string[] };
    const second = (await (await post(csv('second'))).json()) as { ids: string[] };
    expect(second.ids).toEqual(first.ids);
    const key = (await (await fetch(`${moto.endpoint}/apikeys/${first.ids[0]}`, { headers: motoAuth('eu-west-1') })).json()) as { name: string };
    expect(key.name).toBe('second');
    const bad = await post('Name,Key\nshort,tooshort\n');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('x-amzn-errortype')).toBe('BadRequestException');
  });
});
