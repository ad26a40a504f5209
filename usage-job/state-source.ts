/**
 * What a usage state (hour rollups and manifest) was computed from: the logs (the source) and the
 * usage SQL. A state store belongs to one source: a run refuses a store whose manifest names other
 * logs, and reuses a stored rollup only if it names the run's source and SQL digest.
 */
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { usageHourlySql } from '../sql/usage-query';
import { distributionPrefix } from '../sql/log-columns';

export interface LocalStateSource {
  readonly kind: 'local';
  /** Absolute path with symbolic links resolved, so two spellings of one folder are one source. */
  readonly logRoot: string;
}

export interface S3StateSource {
  readonly kind: 's3';
  readonly bucket: string;
  readonly accountId: string;
  readonly distributionId: string;
}

/** The logs a usage state is computed from. */
export type UsageStateSource = LocalStateSource | S3StateSource;

/** What a stored rollup must name to be reused by a run. */
export interface StateIdentity {
  /** sourceUri() of the run's source. */
  readonly source: string;
  /** sha256 (hex) of the usage SQL text. */
  readonly sqlDigest: string;
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** Resolves symbolic links in the part of the path that exists (the log root may not exist yet). */
function realAbsolutePath(path: string): string {
  const absolute = resolve(path);
  try {
    return realpathSync(absolute);
  } catch {
    const parent = dirname(absolute);
    return parent === absolute ? absolute : join(realAbsolutePath(parent), basename(absolute));
  }
}

export function localStateSource(logRoot: string): LocalStateSource {
  return { kind: 'local', logRoot: realAbsolutePath(logRoot) };
}

export function s3StateSource(location: { readonly bucket: string; readonly accountId: string; readonly distributionId: string }): S3StateSource {
  return { kind: 's3', bucket: location.bucket, accountId: location.accountId, distributionId: location.distributionId };
}

/** The canonical one-string form stored in manifests and rollups: file:///… or s3://…/ (the distribution's log prefix). */
export function sourceUri(source: UsageStateSource): string {
  if (source.kind === 'local') return pathToFileURL(source.logRoot).href;
  return `s3://${source.bucket}/${distributionPrefix(source.accountId, source.distributionId)}`;
}

/**
 * The usage SQL's statement without its comments and with whitespace collapsed, so editing an
 * explanation does not make every stored hour stale. (The SQL holds no `--` inside a literal.)
 */
export function sqlStatementText(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** sha256 (hex) of the usage SQL statement both engines run; rollups of another statement are not reused. */
export function usageSqlDigest(): string {
  return sha256(sqlStatementText(usageHourlySql()));
}

export function stateIdentity(source: UsageStateSource): StateIdentity {
  return { source: sourceUri(source), sqlDigest: usageSqlDigest() };
}

/**
 * The CLI's state folder when --state is not given: one per log root, so runs over different log
 * folders never share rollups. `<env>/<folder name>-<first 8 hex of sha256(real path)>`, relative.
 */
export function defaultLocalStateDir(environment: string, source: LocalStateSource): string {
  const name = basename(source.logRoot) || 'root';
  return join('.local', 'usage-state', environment, `${name}-${sha256(source.logRoot).slice(0, 8)}`);
}

/** A run was pointed at a state computed from other logs; nothing was read or written. */
export class OtherSourceError extends Error {
  constructor(
    readonly location: string,
    readonly storedSource: string,
    readonly runSource: string,
    advice: string,
  ) {
    super(`the usage state in ${location} was computed from ${storedSource}, but this run reads ${runSource}; ${advice}`);
    this.name = 'OtherSourceError';
  }
}
