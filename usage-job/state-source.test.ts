/** The identity a usage state is bound to: the logs' canonical source string and the SQL digest. */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { USAGE_SQL_PATH } from '../sql/usage-query';
import {
  defaultLocalStateDir,
  localStateSource,
  OtherSourceError,
  s3StateSource,
  sourceUri,
  sqlStatementText,
  stateIdentity,
  usageSqlDigest,
} from './state-source';

let dir: string;
beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'usage-state-source-')));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('usage state source', () => {
  it('renders a local log root as a file URL of its real path, so a symbolic link is the same source', () => {
    const logs = join(dir, 'my logs');
    mkdirSync(logs);
    symlinkSync(logs, join(dir, 'link'));
    expect(sourceUri(localStateSource(logs))).toBe(`file://${dir}/my%20logs`);
    expect(localStateSource(join(dir, 'link'))).toEqual(localStateSource(logs));
    expect(localStateSource(join(dir, 'link', '..', 'my logs'))).toEqual(localStateSource(logs));
  });

  it('resolves the existing part of a log root that does not exist yet', () => {
    symlinkSync(dir, join(dir, 'link'));
    expect(localStateSource(join(dir, 'link', 'later', 'logs'))).toEqual({ kind: 'local', logRoot: join(dir, 'later', 'logs') });
  });

  it("renders an S3 source as the distribution's log prefix", () => {
    const source = s3StateSource({ bucket: 'ubb-dev-cf-logs-123456789012', accountId: '123456789012', distributionId: 'E2ABC' });
    expect(sourceUri(source)).toBe('s3://ubb-dev-cf-logs-123456789012/AWSLogs/aws-account-id=123456789012/CloudFront/DistributionId=E2ABC/');
  });

  it('digests the usage SQL statement: a changed comment keeps the digest, a changed statement does not', () => {
    const sql = readFileSync(USAGE_SQL_PATH, 'utf8');
    expect(sqlStatementText('-- why\nSELECT  a,\n  b -- note\nFROM t')).toBe('SELECT a, b FROM t');
    expect(sqlStatementText(sql.replace(/^-- .*$/m, '-- a reworded comment'))).toBe(sqlStatementText(sql));
    expect(sqlStatementText(sql.replace('BETWEEN 200 AND 399', 'BETWEEN 200 AND 299'))).not.toBe(sqlStatementText(sql));
    expect(usageSqlDigest()).toBe(sha256(sqlStatementText(sql)));
    expect(stateIdentity(localStateSource(dir))).toEqual({ source: `file://${dir}`, sqlDigest: usageSqlDigest() });
  });

  it('gives each log root its own default state folder under the environment', () => {
    const a = localStateSource(join(dir, 'a', 'logs'));
    const b = localStateSource(join(dir, 'b', 'logs'));
    expect(defaultLocalStateDir('local', a)).toBe(join('.local', 'usage-state', 'local', `logs-${sha256(a.logRoot).slice(0, 8)}`));
    expect(defaultLocalStateDir('local', b)).not.toBe(defaultLocalStateDir('local', a));
    expect(defaultLocalStateDir('local', localStateSource('/'))).toMatch(/^\.local\/usage-state\/local\/root-[0-9a-f]{8}$/);
  });

  it('says where the state is, both sources and what to do, on one line', () => {
    const error = new OtherSourceError('/s', 'file:///a', 'file:///b', 'delete /s to start over');
    expect(error.message).toBe('the usage state in /s was computed from file:///a, but this run reads file:///b; delete /s to start over');
  });
});
