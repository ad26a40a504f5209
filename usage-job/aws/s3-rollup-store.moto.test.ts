/** S3 rollup store and log lister against moto in server mode (real SDK, real HTTP). */
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { hourPrefix } from '../../sql/log-columns';
import { useMotoServer } from '../../test-support/moto-server';
import { hourStart } from '../../sql/hours';
import { runIncremental } from '../incremental-run';
import type { HourRollup, LogLister } from '../rollup-store';
import { OtherSourceError, s3StateSource, sourceUri, usageSqlDigest } from '../state-source';
import type { EngineResult, HourId, UsageEngine } from '../types';
import { s3Client } from './clients';
import { MANIFEST_KEY, RollupStoreError, rollupKey, S3LogLister, S3RollupStore } from './s3-rollup-store';

const moto = useMotoServer();
const USAGE = 'ubb-test-usage-000000000000';
const LOGS = 'ubb-test-cf-logs-000000000000';
const ACCOUNT = '000000000000';
const DIST = 'E1TESTDIST';

let s3: S3Client;
let bucketSeq = 0;
async function freshBucket(name: string): Promise<string> {
  const bucket = `${name}-${++bucketSeq}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}
const put = (bucket: string, key: string, body: string) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
const logKey = (hour: HourId, file: string) => `${hourPrefix(ACCOUNT, DIST, hourStart(hour))}${file}`;

/** The logs the usage buckets' state below belongs to. */
const SOURCE = s3StateSource({ bucket: LOGS, accountId: ACCOUNT, distributionId: DIST });

const rollup = (hour: HourId, requests: number): HourRollup => ({
  format: 2,
  hour,
  source: sourceUri(SOURCE),
  sqlDigest: usageSqlDigest(),
  computedAt: '2026-11-05T10:07:00.000Z',
  engine: 'athena',
  rows: [
    {
      hour,
      month: hour.slice(0, 7),
      apikeyFp: '0123456789abcdef',
      requests,
      rejected: 1,
      errors: 0,
      total: requests + 1,
      bytesOut: 10 * requests,
      bytesIn: requests,
    },
  ],
});

beforeAll(() => {
  s3 = s3Client({ region: 'us-east-1', endpoint: moto.endpoint, credentials: moto.clientConfig().credentials });
});

describe('S3 rollup store', () => {
  it('stores an hour under rollups/hourly/<day>/<hour>.json and reads back exactly what was put; a put replaces', async () => {
    const store = new S3RollupStore(s3, await freshBucket(USAGE), SOURCE);
    expect(await store.getHour('2026-11-05T09')).toBeNull();
    await store.putHour(rollup('2026-11-05T09', 5));
    await store.putHour(rollup('2026-11-05T09', 7));
    expect(await store.getHour('2026-11-05T09')).toEqual(rollup('2026-11-05T09', 7));
    expect(rollupKey('2026-11-05T09')).toBe('rollups/hourly/2026-11-05/09.json');
  });

  it('has no manifest before the first run and reads back the written one after', async () => {
    const store = new S3RollupStore(s3, await freshBucket(USAGE), SOURCE);
    expect(await store.readManifest()).toBeNull();
    const manifest = {
      version: 2 as const,
      source: sourceUri(SOURCE),
      sqlDigest: usageSqlDigest(),
      updatedAt: '2026-11-05T10:07:00.000Z',
      hours: { '2026-11-05T09': [{ key: 'a.parquet', version: '"e1"', size: 3 }] },
    };
    await store.writeManifest(manifest);
    expect(await store.readManifest()).toEqual(manifest);
  });

  it("reads the previous release's objects (manifest version 1, rollups naming no source or SQL) as such", async () => {
    const bucket = await freshBucket(USAGE);
    const store = new S3RollupStore(s3, bucket, SOURCE);
    const hours = { '2026-11-05T09': [{ key: 'a.parquet', version: '"e1"', size: 3 }] };
    await put(bucket, MANIFEST_KEY, JSON.stringify({ version: 1, updatedAt: '2026-11-05T10:07:00.000Z', hours }));
    const { format: _format, source: _source, sqlDigest: _sqlDigest, ...previous } = rollup('2026-11-05T09', 4);
    await put(bucket, rollupKey('2026-11-05T09'), JSON.stringify(previous));
    expect(await store.readManifest()).toEqual({ version: 1, updatedAt: '2026-11-05T10:07:00.000Z', hours });
    expect(await store.getHour('2026-11-05T09')).toEqual({ format: 1, ...previous });
  });

  it('refuses corrupt objects with a message naming the object and what to do', async () => {
    const bucket = await freshBucket(USAGE);
    const store = new S3RollupStore(s3, bucket, SOURCE);
    await put(bucket, rollupKey('2026-11-05T09'), '{"hour":"2026-11-05T09","rows":[');
    await expect(store.getHour('2026-11-05T09')).rejects.toThrow(`s3://${bucket}/rollups/hourly/2026-11-05/09.json is not valid JSON`);
    await put(bucket, rollupKey('2026-11-05T10'), JSON.stringify(rollup('2026-11-05T11', 1)));
    await expect(store.getHour('2026-11-05T10')).rejects.toThrow(RollupStoreError);
    await expect(store.getHour('2026-11-05T10')).rejects.toThrow('is not a rollup of hour 2026-11-05T10; delete it and rerun');
    const { source: _source, ...sourceless } = rollup('2026-11-05T11', 1);
    await put(bucket, rollupKey('2026-11-05T11'), JSON.stringify(sourceless));
    await expect(store.getHour('2026-11-05T11')).rejects.toThrow(`s3://${bucket}/rollups/hourly/2026-11-05/11.json is not a rollup of hour 2026-11-05T11`);
    await put(bucket, rollupKey('2026-11-05T12'), JSON.stringify({ ...rollup('2026-11-05T12', 1), sqlDigest: 'v1' }));
    await expect(store.getHour('2026-11-05T12')).rejects.toThrow(`s3://${bucket}/rollups/hourly/2026-11-05/12.json is not a rollup of hour 2026-11-05T12`);
    await put(bucket, MANIFEST_KEY, JSON.stringify({ version: 2, updatedAt: '2026-11-05T10:07:00.000Z', hours: {} }));
    await expect(store.readManifest()).rejects.toThrow(
      `s3://${bucket}/rollups/manifest.json is not a usage-job manifest (version 1 or 2); delete it and rerun`,
    );
    await put(
      bucket,
      MANIFEST_KEY,
      JSON.stringify({ version: 3, source: sourceUri(SOURCE), sqlDigest: usageSqlDigest(), updatedAt: '2026-11-05T10:07:00.000Z', hours: {} }),
    );
    await expect(store.readManifest()).rejects.toThrow(RollupStoreError);
  });

  it('rejects a rollup whose rows belong to another hour before writing anything', async () => {
    const bucket = await freshBucket(USAGE);
    const store = new S3RollupStore(s3, bucket, SOURCE);
    const bad = { ...rollup('2026-11-05T09', 1), hour: '2026-11-05T10' };
    await expect(store.putHour(bad)).rejects.toThrow('refusing to store rollup of hour 2026-11-05T10');
    expect(await store.getHour('2026-11-05T10')).toBeNull();
  });
});

describe('S3 log lister', () => {
  it('lists every object of each hour under the log layout prefix across pages, with ETags, and nothing of other hours', async () => {
    const bucket = await freshBucket(LOGS);
    for (let i = 0; i < 5; i += 1) await put(bucket, logKey('2026-11-05T09', `E1TESTDIST.2026-11-05-09.${i}.parquet`), `file ${i}`);
    await put(bucket, logKey('2026-11-05T10', 'E1TESTDIST.2026-11-05-10.a.parquet'), 'other hour');
    await put(bucket, `AWSLogs/aws-account-id=${ACCOUNT}/CloudFront/DistributionId=OTHER/year=2026/month=11/day=05/hour=09/x.parquet`, 'other distribution');
    const calls: number[] = [];
    const counted = new Proxy(s3, {
      get(target, prop, receiver) {
        if (prop === 'send') return (command: Parameters<S3Client['send']>[0]) => (calls.push(1), target.send(command));
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    const lister = new S3LogLister(counted, { bucket, accountId: ACCOUNT, distributionId: DIST }, { pageSize: 2 });

    const listed = await lister.listHours(['2026-11-05T09', '2026-11-05T11']);

    const nine = listed.get('2026-11-05T09') ?? [];
    expect(nine.map((o) => o.key)).toEqual([0, 1, 2, 3, 4].map((i) => logKey('2026-11-05T09', `E1TESTDIST.2026-11-05-09.${i}.parquet`)));
    expect(nine.every((o) => /^"[0-9a-f]{32}"$/.test(o.version) && o.size === 6)).toBe(true);
    expect(listed.get('2026-11-05T11')).toEqual([]);
    expect(calls.length).toBe(3 + 1); // 5 objects in pages of 2, plus one empty hour
  });

  it('gives a rewritten object a new version', async () => {
    const bucket = await freshBucket(LOGS);
    const lister = new S3LogLister(s3, { bucket, accountId: ACCOUNT, distributionId: DIST });
    const key = logKey('2026-11-05T09', 'f.parquet');
    await put(bucket, key, 'first delivery');
    const before = (await lister.listHours(['2026-11-05T09'])).get('2026-11-05T09');
    await put(bucket, key, 'redelivered, other bytes');
    const after = (await lister.listHours(['2026-11-05T09'])).get('2026-11-05T09');
    expect(before?.[0].version).not.toBe(after?.[0].version);
  });
});

describe('incremental run on S3 (store and lister on moto, engine counting what it is asked)', () => {
  /** Engine that returns one row per hour with `requests` = number of log objects listed for it. */
  function countingEngine(logs: S3LogLister): UsageEngine & { asked: HourId[][] } {
    const asked: HourId[][] = [];
    return {
      name: 'athena',
      asked,
      async queryHours(hours: readonly HourId[]): Promise<EngineResult> {
        asked.push([...hours]);
        const listing = await logs.listHours(hours);
        const rows = hours.map((hour) => {
          const n = listing.get(hour)?.length ?? 0;
          return { hour, month: hour.slice(0, 7), apikeyFp: '0123456789abcdef', requests: n, rejected: 0, errors: 0, total: n, bytesOut: 0, bytesIn: 0 };
        });
        return { rows, bytesScanned: 1000 * hours.length };
      },
      async close() {},
    };
  }

  it('computes every hour once, recomputes nothing on a rerun, and only the hour with a late file afterwards', async () => {
    const logsBucket = await freshBucket(LOGS);
    const usageBucket = await freshBucket(USAGE);
    await put(logsBucket, logKey('2026-11-01T00', 'a.parquet'), 'a');
    await put(logsBucket, logKey('2026-11-02T05', 'b.parquet'), 'b');
    const source = s3StateSource({ bucket: logsBucket, accountId: ACCOUNT, distributionId: DIST });
    const lister = new S3LogLister(s3, source);
    const store = new S3RollupStore(s3, usageBucket, source);
    const engine = countingEngine(lister);
    const run = (now: string) => runIncremental({ month: '2026-11', now: new Date(now), lateWindowHours: 48, engine, lister, store });

    const first = await run('2026-11-03T10:30:00Z');
    expect(engine.asked).toEqual([['2026-11-01T00', '2026-11-02T05']]);
    expect(first.rows.reduce((s, r) => s + r.requests, 0)).toBe(2);

    const rerun = await run('2026-11-03T10:45:00Z');
    expect(engine.asked).toHaveLength(1);
    expect(rerun.hoursComputed).toEqual([]);
    expect(rerun.rows).toEqual(first.rows);

    await put(logsBucket, logKey('2026-11-02T05', 'late.parquet'), 'late');
    const late = await run('2026-11-03T11:05:00Z');
    expect(engine.asked[1]).toEqual(['2026-11-02T05']);
    expect(late.rows.reduce((s, r) => s + r.requests, 0)).toBe(3);
  });

  /** Every object of the bucket: key to ETag (which changes with the content). */
  async function contents(bucket: string): Promise<Record<string, string>> {
    const objects: Record<string, string> = {};
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ...(token ? { ContinuationToken: token } : {}) }));
      for (const object of page.Contents ?? []) objects[object.Key ?? ''] = object.ETag ?? '';
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects;
  }

  it('refuses a usage bucket whose manifest names another distribution, before listing logs or writing anything', async () => {
    const logsBucket = await freshBucket(LOGS);
    const usageBucket = await freshBucket(USAGE);
    await put(logsBucket, logKey('2026-11-01T00', 'a.parquet'), 'a');
    const deployed = s3StateSource({ bucket: logsBucket, accountId: ACCOUNT, distributionId: DIST });
    const other = s3StateSource({ bucket: logsBucket, accountId: ACCOUNT, distributionId: 'E9OTHERDIST' });
    const run = (lister: LogLister, engine: UsageEngine, store: S3RollupStore) =>
      runIncremental({ month: '2026-11', now: new Date('2026-11-03T10:30:00Z'), lateWindowHours: 48, engine, lister, store });
    const deployedLister = new S3LogLister(s3, deployed);
    await run(deployedLister, countingEngine(deployedLister), new S3RollupStore(s3, usageBucket, deployed));
    const before = await contents(usageBucket);
    const listed: HourId[][] = [];
    const otherLister = new S3LogLister(s3, other);
    const spy: LogLister = {
      listHours: (hours) => {
        listed.push([...hours]);
        return otherLister.listHours(hours);
      },
    };
    const engine = countingEngine(otherLister);

    const attempt = run(spy, engine, new S3RollupStore(s3, usageBucket, other));

    await expect(attempt).rejects.toThrow(OtherSourceError);
    await expect(attempt).rejects.toThrow(
      `the usage state in s3://${usageBucket}/rollups/ was computed from s3://${logsBucket}/AWSLogs/aws-account-id=${ACCOUNT}/CloudFront/DistributionId=${DIST}/, ` +
        `but this run reads s3://${logsBucket}/AWSLogs/aws-account-id=${ACCOUNT}/CloudFront/DistributionId=E9OTHERDIST/; ` +
        "a usage bucket holds the state of one distribution's logs: check the deployment file's logBucket, accountId and distributionId, " +
        `or move s3://${usageBucket}/rollups/ aside (its rollups are the figures past invoices were made from) to start over`,
    );
    expect(listed).toEqual([]);
    expect(engine.asked).toEqual([]);
    expect(await contents(usageBucket)).toEqual(before);
  });

  it('recomputes every hour of a version-1 state and stores it as version 2', async () => {
    const logsBucket = await freshBucket(LOGS);
    const usageBucket = await freshBucket(USAGE);
    await put(logsBucket, logKey('2026-11-01T00', 'a.parquet'), 'a');
    const source = s3StateSource({ bucket: logsBucket, accountId: ACCOUNT, distributionId: DIST });
    const lister = new S3LogLister(s3, source);
    const listing = await lister.listHours(['2026-11-01T00']);
    await put(usageBucket, MANIFEST_KEY, JSON.stringify({ version: 1, updatedAt: '2026-11-03T09:00:00.000Z', hours: Object.fromEntries(listing) }));
    const { format: _format, source: _source, sqlDigest: _sqlDigest, ...previous } = rollup('2026-11-01T00', 99);
    await put(usageBucket, rollupKey('2026-11-01T00'), JSON.stringify(previous));
    const engine = countingEngine(lister);
    const progress: string[] = [];

    const result = await runIncremental({
      month: '2026-11',
      now: new Date('2026-11-03T10:30:00Z'),
      lateWindowHours: 2,
      engine,
      lister,
      store: new S3RollupStore(s3, usageBucket, source),
      progress: (m) => progress.push(m),
    });

    expect(result.hoursComputed).toContain('2026-11-01T00');
    expect(result.rows.reduce((sum, r) => sum + r.requests, 0)).toBe(1);
    expect(progress).toContain('1 stored hour was computed by another SQL version; recomputing');
    const manifest = await s3.send(new GetObjectCommand({ Bucket: usageBucket, Key: MANIFEST_KEY }));
    expect(JSON.parse((await manifest.Body?.transformToString('utf-8')) ?? '')).toMatchObject({
      version: 2,
      source: sourceUri(source),
      sqlDigest: usageSqlDigest(),
    });
  });
});
