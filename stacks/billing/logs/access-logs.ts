/**
 * CloudFront standard logging v2 to the log bucket: a delivery source (ACCESS_LOGS of the
 * distribution), an S3 delivery destination in Parquet, and the delivery with Hive-compatible
 * paths and the delivered record fields (sql/log-columns.ts). All three live in us-east-1
 * (AWS provider 6's per-resource `region` argument, no second provider).
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging.html
 */
import { Construct } from 'constructs';
import { CloudwatchLogDelivery } from '@cdktf/provider-aws/lib/cloudwatch-log-delivery';
import { CloudwatchLogDeliveryDestination } from '@cdktf/provider-aws/lib/cloudwatch-log-delivery-destination';
import { CloudwatchLogDeliverySource } from '@cdktf/provider-aws/lib/cloudwatch-log-delivery-source';
import { DELIVERY_SUFFIX_PATH, LOG_RECORD_FIELDS } from '../../../sql/log-columns';
import type { PrivateBucket } from '../../shared/private-bucket';
import { CLOUDFRONT_LOG_REGION } from './log-buckets';

export interface AccessLogsProps {
  readonly prefix: string;
  readonly sourceName: string;
  readonly distributionArn: string;
  readonly bucket: PrivateBucket;
}

export class AccessLogs extends Construct {
  readonly delivery: CloudwatchLogDelivery;

  constructor(scope: Construct, id: string, props: AccessLogsProps) {
    super(scope, id);
    const source = new CloudwatchLogDeliverySource(this, 'source', {
      region: CLOUDFRONT_LOG_REGION,
      name: props.sourceName,
      logType: 'ACCESS_LOGS',
      resourceArn: props.distributionArn,
    });
    const destination = new CloudwatchLogDeliveryDestination(this, 'destination', {
      region: CLOUDFRONT_LOG_REGION,
      name: `${props.prefix}-cf-logs-s3`,
      outputFormat: 'parquet',
      deliveryDestinationConfiguration: [{ destinationResourceArn: props.bucket.bucket.arn }],
    });
    this.delivery = new CloudwatchLogDelivery(this, 'delivery', {
      region: CLOUDFRONT_LOG_REGION,
      deliverySourceName: source.name,
      deliveryDestinationArn: destination.arn,
      recordFields: [...LOG_RECORD_FIELDS],
      s3DeliveryConfiguration: [{ enableHiveCompatiblePath: true, suffixPath: DELIVERY_SUFFIX_PATH }],
      // The bucket policy must allow delivery before the delivery is created.
      dependsOn: [props.bucket.policy],
    });
  }
}
