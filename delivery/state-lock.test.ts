import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from './state-lock-cli';
import { decideGuardedUnlock, decideOwnLock, parseLockInfo, s3LockLocation, StateLockError } from './state-lock';

// Lock info as Terraform 1.11.4 writes it (seen on the HTTP backend in terraform-lock.test.ts).
const LOCK =
  '{"ID":"62eeea1b-78a2-0971-9ed0-0a3590737f1a","Operation":"OperationTypeApply","Info":"","Who":"runner@fv-az101","Version":"1.11.4","Created":"2026-11-30T19:40:46.542583054Z","Path":"ubb-terraform-state-111111111111/billing-prod/terraform.tfstate"}';
const lock = parseLockInfo(LOCK);
const at = (iso: string): Date => new Date(iso);

describe('lock info', () => {
  test('parses what Terraform writes', () => {
    expect(lock).toMatchObject({ id: '62eeea1b-78a2-0971-9ed0-0a3590737f1a', operation: 'OperationTypeApply', who: 'runner@fv-az101', version: '1.11.4' });
    expect(lock.created.toISOString()).toBe('2026-11-30T19:40:46.542Z');
  });

  test.each([
    ['not JSON', 'PK\u0003', /not JSON/],
    ['no id', '{"Created":"2026-01-01T00:00:00Z"}', /no "ID"/],
    ['no time', '{"ID":"abcdef12"}', /no valid "Created"/],
  ])('rejects %s', (_label, text, message) => {
    expect(() => parseLockInfo(text)).toThrow(StateLockError);
    expect(() => parseLockInfo(text)).toThrow(message);
  });
});

describe('releasing the lock an apply job left', () => {
  test('only when it is this runner’s and its terraform is gone', () => {
    expect(decideOwnLock(lock, 'runner@fv-az101', false)).toMatchObject({ release: true, id: lock.id });
    expect(decideOwnLock(lock, 'runner@fv-az101', true)).toMatchObject({ release: false, reason: expect.stringContaining('terraform is still running') });
    expect(decideOwnLock(lock, 'runner@fv-az202', false)).toMatchObject({ release: false, reason: expect.stringContaining('another holder') });
    expect(decideOwnLock(undefined, 'runner@fv-az101', false)).toMatchObject({ release: false, reason: expect.stringContaining('no state lock') });
  });
});

describe('the guarded force-unlock', () => {
  const now = at('2026-11-30T20:10:00Z');

  test('releases the named lock once it is old enough', () => {
    expect(decideGuardedUnlock(lock, lock.id, now, 15)).toEqual({ release: true, id: lock.id, reason: expect.stringContaining('29 minutes old') });
  });

  test('refuses a young lock, another lock, no lock and a malformed id, saying why', () => {
    expect(decideGuardedUnlock(lock, lock.id, at('2026-11-30T19:50:00Z'), 15)).toMatchObject({
      release: false,
      reason: expect.stringContaining('an apply may still be running'),
    });
    expect(decideGuardedUnlock(lock, '00000000-0000-0000-0000-000000000000', now, 15)).toMatchObject({
      release: false,
      reason: expect.stringContaining('read the lock again'),
    });
    expect(decideGuardedUnlock(undefined, lock.id, now, 15)).toMatchObject({ release: false, reason: expect.stringContaining('nothing to unlock') });
    expect(decideGuardedUnlock(lock, '$(rm -rf /)', now, 15)).toMatchObject({ release: false, reason: expect.stringContaining('is not a Terraform lock id') });
  });
});

describe('delivery:lock CLI', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lock-cli-'));
    writeFileSync(join(dir, 'lock.json'), LOCK);
    mkdirSync(join(dir, 'stack'));
    writeFileSync(
      join(dir, 'stack', 'cdk.tf.json'),
      JSON.stringify({
        terraform: { backend: { s3: { bucket: 'ubb-terraform-state-111111111111', key: 'billing-prod/terraform.tfstate', region: 'eu-west-1' } } },
      }),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cli = async (...args: string[]) => {
    let out = '';
    let err = '';
    const code = await main(
      args,
      (s) => (out += s),
      (s) => (err += s),
    );
    return { code, out, err };
  };

  test('guard prints the id to release, or refuses with exit code 3', async () => {
    const file = join(dir, 'lock.json');
    expect(await cli('guard', '--lock-file', file, '--lock-id', lock.id, '--now', '2026-11-30T20:10:00Z')).toMatchObject({
      code: 0,
      out: `release=${lock.id}\n`,
    });
    const young = await cli('guard', '--lock-file', file, '--lock-id', lock.id, '--now', '2026-11-30T19:41:00Z');
    expect(young).toMatchObject({ code: 3, out: 'release=\n' });
    expect(young.err).toContain('younger than 15');
    expect(await cli('guard', '--lock-file', join(dir, 'none.json'), '--lock-id', lock.id)).toMatchObject({ code: 3, out: 'release=\n' });
  });

  test('own releases only this holder’s lock', async () => {
    const file = join(dir, 'lock.json');
    expect(await cli('own', '--lock-file', file, '--holder', 'runner@fv-az101', '--terraform-running', 'no')).toMatchObject({
      code: 0,
      out: `release=${lock.id}\n`,
    });
    expect(await cli('own', '--lock-file', file, '--holder', 'runner@other', '--terraform-running', 'no')).toMatchObject({ code: 0, out: 'release=\n' });
  });

  test('bad arguments exit 2 with the usage', async () => {
    expect(await cli('guard', '--lock-file', join(dir, 'lock.json'))).toMatchObject({ code: 2, err: expect.stringContaining('guard needs --lock-id') });
    expect(await cli('explode', '--lock-file', 'x')).toMatchObject({ code: 2 });
  });

  test('finds the S3 lock object beside the state of the stack, honouring the bucket override', () => {
    expect(s3LockLocation(join(dir, 'stack'))).toEqual({
      bucket: 'ubb-terraform-state-111111111111',
      key: 'billing-prod/terraform.tfstate.tflock',
      region: 'eu-west-1',
    });
    expect(s3LockLocation(join(dir, 'stack'), 'other-bucket').bucket).toBe('other-bucket');
  });
});
