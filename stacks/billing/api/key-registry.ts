/**
 * The key registry's bucket (docs/keys.md): one JSON object, `registry.json`, that the keys CLI
 * writes with S3 conditional writes (`If-Match`) and the usage job reads. Versioned, because
 * its versions are the registry's history: a bad write is undone by restoring the previous
 * version. Like every bucket here: public access blocked, ACLs off, SSE-S3, TLS only.
 * Terraform creates the bucket, never the object: the registry is data, not configuration.
 */
import { Construct } from 'constructs';
import type { ResourceNames } from '../../../contracts/resource-names';
import { PrivateBucket } from '../../shared/private-bucket';

/**
 * Old registry versions are kept a year. Each write stores the whole document (about 400 bytes a
 * customer, 4 MB at 10,000), so an unbounded history would grow with every command.
 */
export const REGISTRY_VERSION_DAYS = 365;

export class KeyRegistryBucket extends Construct {
  readonly bucket: PrivateBucket;

  constructor(scope: Construct, id: string, props: { readonly names: ResourceNames }) {
    super(scope, id);
    this.bucket = new PrivateBucket(this, 'bucket', {
      bucketName: props.names.keyRegistryBucket,
      versioned: true,
      noncurrentVersionExpirationDays: REGISTRY_VERSION_DAYS,
    });
  }
}
