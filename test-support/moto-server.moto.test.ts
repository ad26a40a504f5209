import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startMotoServer, type MotoServer } from './moto-server';

describe('moto server harness', () => {
  let moto: MotoServer;
  beforeAll(async () => {
    moto = await startMotoServer();
  }, 40_000);
  afterAll(async () => {
    await moto?.stop();
  });

  it('serves the S3 API on loopback with fake credentials and forgets everything on reset', async () => {
    expect(moto.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const s3 = new S3Client({ ...moto.clientConfig(), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'harness-check' }));
    await s3.send(new PutObjectCommand({ Bucket: 'harness-check', Key: 'a/b.txt', Body: 'x' }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'harness-check' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['a/b.txt']);

    await moto.reset();
    await expect(s3.send(new ListObjectsV2Command({ Bucket: 'harness-check' }))).rejects.toThrow(/bucket/i);
  });

  it('stops the server so its port no longer answers', async () => {
    const other = await startMotoServer();
    const endpoint = other.endpoint;
    expect((await fetch(`${endpoint}/moto-api/data.json`)).ok).toBe(true);
    await other.stop();
    await expect(fetch(`${endpoint}/moto-api/data.json`)).rejects.toThrow();
  });
});
