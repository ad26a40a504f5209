/**
 * Where GET /usage reads the key registry and the customer usage summary from
 * (docs/customer-usage.md): in AWS two S3 objects, locally two files of the platform's state folder.
 * Configured by the environment (the billing stack sets the AWS variables, `npm start` the local one):
 *   USAGE_ENVIRONMENT          the environment's name (both documents must name it)
 *   USAGE_REGISTRY_BUCKET/KEY  the key registry object; USAGE_SUMMARY_BUCKET the usage bucket
 *   USAGE_STATE_DIR            locally: <dir>/registry.json and <dir>/customer-usage/<month>.json
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { customerUsageObjectKey, parseCustomerUsageSummary, type CustomerUsageSummary } from '../../contracts/customer-usage';
import { parseRegistry, type RegistryDocument } from '../../keys/registry';

export interface UsageSource {
  /** The registry, read fresh enough that a revoked key is refused on the next request. */
  registry(): Promise<RegistryDocument>;
  /** The month's summary; undefined when no run has written it yet. */
  summary(month: string): Promise<CustomerUsageSummary | undefined>;
}

export class UsageSourceError extends Error {}

/** The source the environment names, or undefined when it names none (every lookup then fails closed). */
export function usageSourceFromEnvironment(vars: NodeJS.ProcessEnv = process.env): UsageSource | undefined {
  const environment = vars.USAGE_ENVIRONMENT;
  if (environment === undefined || environment === '') return undefined;
  if (vars.USAGE_REGISTRY_BUCKET && vars.USAGE_REGISTRY_KEY && vars.USAGE_SUMMARY_BUCKET) {
    return s3UsageSource(new S3Client({}), {
      environment,
      registry: { bucket: vars.USAGE_REGISTRY_BUCKET, key: vars.USAGE_REGISTRY_KEY },
      summaryBucket: vars.USAGE_SUMMARY_BUCKET,
    });
  }
  if (vars.USAGE_STATE_DIR) return fileUsageSource(vars.USAGE_STATE_DIR, environment);
  return undefined;
}

function readIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export function fileUsageSource(dir: string, environment: string): UsageSource {
  return {
    async registry() {
      const path = join(dir, 'registry.json');
      const text = readIfPresent(path);
      if (text === undefined) throw new UsageSourceError(`no key registry at ${path}`);
      return parseRegistry(text, path, environment);
    },
    async summary(month) {
      const path = join(dir, customerUsageObjectKey(month));
      const text = readIfPresent(path);
      return text === undefined ? undefined : parseCustomerUsageSummary(text, path, environment);
    },
  };
}

interface S3Like {
  send(command: GetObjectCommand): Promise<{ ETag?: string; Body?: { transformToString(): Promise<string> } }>;
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

/**
 * S3 objects read with one conditional GET per request: If-None-Match with the ETag of the copy a
 * warm Lambda already parsed, which S3 answers 304 Not Modified when the object is unchanged
 * (GetObject's IfNoneMatch: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html,
 * https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/s3/aws.sdk.kotlin.services.s3.model/-get-object-request/if-none-match.html).
 * So a registry write (a revoke) is seen on the next request, and an unchanged 4 MB registry is
 * not downloaded and parsed again.
 */
export function s3UsageSource(
  s3: S3Like,
  options: { readonly environment: string; readonly registry: { readonly bucket: string; readonly key: string }; readonly summaryBucket: string },
): UsageSource {
  const cache = new Map<string, { readonly etag: string; readonly value: unknown }>();
  async function read<T>(bucket: string, key: string, parse: (text: string, location: string) => T): Promise<T | undefined> {
    const id = `s3://${bucket}/${key}`;
    const cached = cache.get(id);
    try {
      const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(cached !== undefined ? { IfNoneMatch: cached.etag } : {}) }));
      const value = parse((await out.Body?.transformToString()) ?? '', id);
      if (out.ETag !== undefined) cache.set(id, { etag: out.ETag, value });
      return value;
    } catch (error) {
      const status = httpStatus(error);
      if (status === 304 && cached !== undefined) return cached.value as T;
      // 404 needs s3:ListBucket, which this role lacks: in AWS a missing object is 403 AccessDenied and
      // stays an error (503 to the caller). https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html (Permissions)
      if (status === 404) return undefined;
      throw error;
    }
  }
  return {
    async registry() {
      const doc = await read(options.registry.bucket, options.registry.key, (text, id) => parseRegistry(text, id, options.environment));
      if (doc === undefined) throw new UsageSourceError(`no key registry at s3://${options.registry.bucket}/${options.registry.key}`);
      return doc;
    },
    summary: (month) => read(options.summaryBucket, customerUsageObjectKey(month), (text, id) => parseCustomerUsageSummary(text, id, options.environment)),
  };
}
