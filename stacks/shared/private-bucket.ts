/**
 * An S3 bucket with the protections every bucket of the platform needs: public access blocked,
 * ACLs disabled (BucketOwnerEnforced), default encryption (SSE-S3), a TLS-only bucket policy plus
 * any statements the caller adds, optional versioning and lifecycle expiry.
 */
import { Construct } from 'constructs';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration, type S3BucketLifecycleConfigurationRule } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { denyInsecureTransport, policyDocument, s3BucketArn } from './iam';
import type { PolicyStatement } from './iam';

export interface PrivateBucketProps {
  readonly bucketName: string;
  /** Objects expire this many days after creation (whole bucket). */
  readonly expirationDays?: number;
  readonly versioned?: boolean;
  /** With versioning: overwritten or deleted versions are removed this many days later. */
  readonly noncurrentVersionExpirationDays?: number;
  /** Extra bucket-policy statements (the TLS-only statement is always included). */
  readonly policyStatements?: readonly PolicyStatement[];
  /** Keep the bucket when its stack is destroyed while it still holds objects (state, logs). */
  readonly forceDestroy?: boolean;
}

export class PrivateBucket extends Construct {
  readonly bucket: S3Bucket;
  readonly name: string;
  readonly arn: string;
  readonly policy: S3BucketPolicy;

  constructor(scope: Construct, id: string, props: PrivateBucketProps) {
    super(scope, id);
    this.name = props.bucketName;
    this.arn = s3BucketArn(props.bucketName);
    this.bucket = new S3Bucket(this, 'bucket', { bucket: props.bucketName, forceDestroy: props.forceDestroy ?? false });

    const publicAccess = new S3BucketPublicAccessBlock(this, 'public-access', {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, 'ownership', {
      bucket: this.bucket.id,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, 'encryption', {
      bucket: this.bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' }, bucketKeyEnabled: true }],
    });
    if (props.versioned) {
      new S3BucketVersioningA(this, 'versioning', { bucket: this.bucket.id, versioningConfiguration: { status: 'Enabled' } });
    }
    const rules: S3BucketLifecycleConfigurationRule[] = [];
    if (props.expirationDays !== undefined) {
      rules.push({
        id: 'expire-objects',
        status: 'Enabled',
        filter: [{ prefix: '' }],
        expiration: [{ days: props.expirationDays }],
        abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
      });
    }
    if (props.versioned && props.noncurrentVersionExpirationDays !== undefined) {
      rules.push({
        id: 'expire-old-versions',
        status: 'Enabled',
        filter: [{ prefix: '' }],
        noncurrentVersionExpiration: [{ noncurrentDays: props.noncurrentVersionExpirationDays }],
        abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
      });
    }
    if (rules.length > 0) new S3BucketLifecycleConfiguration(this, 'lifecycle', { bucket: this.bucket.id, rule: rules });
    this.policy = new S3BucketPolicy(this, 'policy', {
      bucket: this.bucket.id,
      policy: policyDocument([denyInsecureTransport(this.arn), ...(props.policyStatements ?? [])]),
      dependsOn: [publicAccess],
    });
  }
}
