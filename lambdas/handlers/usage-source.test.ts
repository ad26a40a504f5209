/**
 * The S3 source of GET /usage against a fake S3 that follows GetObject's documented conditional
 * read (If-None-Match with the current ETag: 304 Not Modified, no body): one GET per document and
 * request, a changed registry (a revoke) seen on the next request, a missing summary undefined.
 */
import type { GetObjectCommand } from '@aws-sdk/client-s3';
import { customerUsageObjectKey } from '../../contracts/customer-usage';
import { s3UsageSource } from './usage-source';
import { customer, ENVIRONMENT, key, KEY_A, registry, summary, usage } from './testing/usage-fixtures';

class FakeS3 {
  readonly objects = new Map<string, { etag: string; body: string }>();
  readonly calls: { key: string; ifNoneMatch?: string; status: number }[] = [];
  private version = 0;
  put(bucket: string, key: string, body: string): void {
    this.version += 1;
    this.objects.set(`${bucket}/${key}`, { etag: `"etag-${this.version}"`, body });
  }
  async send(command: GetObjectCommand) {
    const { Bucket, Key, IfNoneMatch } = command.input;
    const object = this.objects.get(`${Bucket}/${Key}`);
    const fail = (status: number, name: string) => {
      this.calls.push({ key: Key!, ifNoneMatch: IfNoneMatch, status });
      return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
    };
    if (object === undefined) throw fail(404, 'NoSuchKey');
    if (IfNoneMatch !== undefined && IfNoneMatch === object.etag) throw fail(304, 'NotModified');
    this.calls.push({ key: Key!, ifNoneMatch: IfNoneMatch, status: 200 });
    return { ETag: object.etag, Body: { transformToString: async () => object.body } };
  }
}

const options = { environment: ENVIRONMENT, registry: { bucket: 'reg', key: 'registry.json' }, summaryBucket: 'usage' };

test('a warm source revalidates with the ETag it holds and reuses its copy on 304', async () => {
  const s3 = new FakeS3();
  s3.put('reg', 'registry.json', JSON.stringify(registry(customer('acme', [key(KEY_A)]))));
  const source = s3UsageSource(s3, options);
  await source.registry();
  const again = await source.registry();
  expect(Object.keys(again.customers)).toEqual(['acme']);
  expect(s3.calls).toEqual([
    { key: 'registry.json', ifNoneMatch: undefined, status: 200 },
    { key: 'registry.json', ifNoneMatch: '"etag-1"', status: 304 },
  ]);
});

test('a registry written in between (a revoke) is read on the next request', async () => {
  const s3 = new FakeS3();
  s3.put('reg', 'registry.json', JSON.stringify(registry(customer('acme', [key(KEY_A)]))));
  const source = s3UsageSource(s3, options);
  expect((await source.registry()).customers.acme.keys[0].state).toBe('active');
  s3.put('reg', 'registry.json', JSON.stringify(registry(customer('acme', [key(KEY_A, { state: 'revoked' })]))));
  expect((await source.registry()).customers.acme.keys[0].state).toBe('revoked');
});

test('the month summary: parsed when present, undefined when no run wrote it; another environment refused', async () => {
  const s3 = new FakeS3();
  s3.put('usage', customerUsageObjectKey('2026-11'), JSON.stringify(summary('2026-11', '2026-11-20T10:00:00Z', usage('acme', 5, 10))));
  s3.put('usage', customerUsageObjectKey('2026-10'), JSON.stringify({ ...summary('2026-10', '2026-11-01T00:00:00Z'), environment: 'prod' }));
  const source = s3UsageSource(s3, options);
  expect((await source.summary('2026-11'))?.customers.acme.requests).toBe(5);
  await expect(source.summary('2026-12')).resolves.toBeUndefined();
  await expect(source.summary('2026-10')).rejects.toThrow(/belongs to environment "prod", not test/);
});

test('a summary whose planQuotas are not a number per plan is refused with one line naming it', async () => {
  const s3 = new FakeS3();
  s3.put('usage', customerUsageObjectKey('2026-11'), JSON.stringify({ ...summary('2026-11', '2026-11-20T10:00:00Z'), planQuotas: { basic: '1000' } }));
  await expect(s3UsageSource(s3, options).summary('2026-11')).rejects.toThrow(
    `s3://usage/${customerUsageObjectKey('2026-11')} has planQuotas that are not a number per plan`,
  );
});

test('no registry object: a named error, not an empty registry', async () => {
  await expect(s3UsageSource(new FakeS3(), options).registry()).rejects.toThrow('no key registry at s3://reg/registry.json');
});
