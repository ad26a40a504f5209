/**
 * The key registry as the usage job reads it in AWS: the S3 object the deployment file names
 * (keyRegistry), read once per run with its ETag and VersionId, parsed and checked by the
 * registry's owner module (keys/registry.ts). The bucket is versioned, so the VersionId names
 * exactly the revision a run attributed with (GetObject's response carries the object's version id,
 * `GetObjectResponse.versionId`, "Version ID of the object":
 * https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/s3/aws.sdk.kotlin.services.s3.model/-get-object-response/version-id.html;
 * moto returns it too, registry-object.moto.test.ts). Without versioning the ETag alone names the content.
 * No object yet (NoSuchKey) means no customer yet: every request is unattributed, said in a
 * progress line. A missing bucket fails the run.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { UsageJobDeployment } from '../../contracts/usage-job-deployment';
import { emptyRegistry, parseRegistry } from '../../keys/registry';
import { customersFromRegistry, CustomersError, type Customers } from '../customers';
import { awsErrorCode, withBackoff, type BackoffOptions } from './retry';

export async function readRegistryObject(
  s3: S3Client,
  deployment: UsageJobDeployment,
  options: { readonly backoff?: BackoffOptions; readonly progress?: (message: string) => void } = {},
): Promise<Customers> {
  const { bucket, key } = deployment.keyRegistry;
  const location = `s3://${bucket}/${key}`;
  const plans = deployment.usagePlans;
  let object;
  try {
    object = await withBackoff(`S3 GetObject ${location}`, () => s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })), options.backoff);
  } catch (error) {
    const code = awsErrorCode(error);
    if (code === 'NoSuchKey') {
      options.progress?.(`key registry ${location} does not exist yet: no customers, every request is unattributed`);
      return { customers: customersFromRegistry(emptyRegistry(deployment.environment, new Date()), plans, location), registry: { location, revision: 0 } };
    }
    throw new CustomersError(
      `key registry ${location}: could not read it: ${code ?? 'error'}${code === 'NoSuchBucket' ? ' (deploy the registry bucket first)' : ''}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const text = (await object.Body?.transformToString('utf-8')) ?? '';
  let doc;
  try {
    doc = parseRegistry(text, location, deployment.environment);
  } catch (error) {
    throw new CustomersError(error instanceof Error ? error.message : String(error));
  }
  return {
    customers: customersFromRegistry(doc, plans, location),
    registry: {
      location,
      revision: doc.revision,
      ...(object.ETag !== undefined ? { etag: object.ETag } : {}),
      ...(object.VersionId !== undefined ? { versionId: object.VersionId } : {}),
    },
  };
}
