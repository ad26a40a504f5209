/**
 * CloudFront standard logging v2 to the log bucket: a delivery source (ACCESS_LOGS of the
 * distribution), an S3 delivery destination in Parquet, and the delivery with Hive-compatible
 * paths and the delivered record fields (sql/log-columns.ts). All three live in us-east-1
 * (AWS provider 6's per-resource `region` argument, no second provider).
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging.html
 *
 * The delivery is never updated in place, only replaced (docs/usage-job.md, "Changing the
 * delivered fields or the log path"). AWS adds the `AWSLogs/...` prefix of docs/contracts.md's log
 * layout only when it creates a delivery; an update through UpdateDeliveryConfiguration (which can
 * change the record fields, the field delimiter and the S3 suffix path / Hive option) has been seen
 * to drop it
 * (CloudFormation: https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/2274;
 * provider 6.x: https://github.com/hashicorp/terraform-provider-aws/issues/46328), and a record-field
 * update has failed outright (https://github.com/hashicorp/terraform-provider-aws/issues/46108).
 * API: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_UpdateDeliveryConfiguration.html
 */
import { Construct } from 'constructs';
import { DataResource } from 'cdktf';
import { CloudwatchLogDelivery } from '@cdktf/provider-aws/lib/cloudwatch-log-delivery';
import type { CloudwatchLogDeliveryConfig } from '@cdktf/provider-aws/lib/cloudwatch-log-delivery';
import { CloudwatchLogDeliveryDestination } from '@cdktf/provider-aws/lib/cloudwatch-log-delivery-destination';
import { CloudwatchLogDeliverySource } from '@cdktf/provider-aws/lib/cloudwatch-log-delivery-source';
import { DELIVERY_SUFFIX_PATH, LOG_RECORD_FIELDS } from '../../../sql/log-columns';
import type { PrivateBucket } from '../../shared/private-bucket';
import { CLOUDFRONT_LOG_REGION } from './log-buckets';

/** What the delivery writes and where; the defaults are the log layout of docs/contracts.md. */
export interface DeliveryLayout {
  readonly recordFields: readonly string[];
  readonly suffixPath: string;
  readonly hiveCompatiblePath: boolean;
  readonly outputFormat: string;
}

export const CONTRACT_DELIVERY_LAYOUT: DeliveryLayout = {
  recordFields: LOG_RECORD_FIELDS,
  suffixPath: DELIVERY_SUFFIX_PATH,
  hiveCompatiblePath: true,
  outputFormat: 'parquet',
};

export interface AccessLogsProps {
  readonly prefix: string;
  readonly sourceName: string;
  readonly distributionArn: string;
  readonly bucket: PrivateBucket;
  /** Only tests pass another layout, to prove a changed layout replaces the delivery. */
  readonly layout?: DeliveryLayout;
}

export class AccessLogs extends Construct {
  readonly source: CloudwatchLogDeliverySource;
  readonly destination: CloudwatchLogDeliveryDestination;
  /** Holds the delivery's own arguments; any change to them replaces it and so the delivery. */
  readonly trigger: DataResource;
  readonly delivery: CloudwatchLogDelivery;

  constructor(scope: Construct, id: string, props: AccessLogsProps) {
    super(scope, id);
    const layout = props.layout ?? CONTRACT_DELIVERY_LAYOUT;
    this.source = new CloudwatchLogDeliverySource(this, 'source', {
      region: CLOUDFRONT_LOG_REGION,
      name: props.sourceName,
      logType: 'ACCESS_LOGS',
      resourceArn: props.distributionArn,
    });
    this.destination = new CloudwatchLogDeliveryDestination(this, 'destination', {
      region: CLOUDFRONT_LOG_REGION,
      name: `${props.prefix}-cf-logs-s3`,
      outputFormat: layout.outputFormat,
      deliveryDestinationConfiguration: [{ destinationResourceArn: props.bucket.bucket.arn }],
    });
    const settings = {
      region: CLOUDFRONT_LOG_REGION,
      deliverySourceName: this.source.name,
      deliveryDestinationArn: this.destination.arn,
      recordFields: [...layout.recordFields],
      s3DeliveryConfiguration: [{ enableHiveCompatiblePath: layout.hiveCompatiblePath, suffixPath: layout.suffixPath }],
    } satisfies Partial<CloudwatchLogDeliveryConfig>;
    // terraform_data with replace_triggered_by is Terraform's own way to replace a resource when a
    // value changes: https://developer.hashicorp.com/terraform/language/resources/terraform-data
    this.trigger = new DataResource(this, 'delivery-settings', {
      input: {
        region: settings.region,
        delivery_source_name: settings.deliverySourceName,
        delivery_destination_arn: settings.deliveryDestinationArn,
        // What would replace the source or the destination: a change of any of them replaces the
        // delivery too. Not the resources themselves, whose tag updates would then replace it.
        source_resource_arn: props.distributionArn,
        source_log_type: 'ACCESS_LOGS',
        destination_output_format: layout.outputFormat,
        destination_resource_arn: props.bucket.bucket.arn,
        record_fields: settings.recordFields,
        s3_delivery_configuration: settings.s3DeliveryConfiguration.map((c) => ({
          enable_hive_compatible_path: c.enableHiveCompatiblePath,
          suffix_path: c.suffixPath,
        })),
      },
    });
    this.delivery = new CloudwatchLogDelivery(this, 'delivery', {
      ...settings,
      // The bucket policy must allow delivery before the delivery is created.
      dependsOn: [props.bucket.policy],
      lifecycle: {
        // Only the trigger: it holds the source's and destination's defining arguments too. Listing
        // the source or destination resources would replace the delivery on any update of theirs,
        // a tag change included (a reference to a whole resource triggers on every change,
        // https://developer.hashicorp.com/terraform/language/meta-arguments/lifecycle#replace_triggered_by).
        // No create_before_destroy: a source takes one
        // delivery per destination type (moto's rule, moto/logs/models.py create_delivery: "Delivery
        // already exists for this Delivery Source with the same Delivery Destination Type"; AWS's
        // API reference does not state it), and CloudFront takes one source per distribution
        // (https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/2513), so
        // the old delivery goes first and the new one is created right after.
        // Plain addresses: CDKTF would write a resource as an interpolation (${...}), which
        // Terraform's JSON syntax refuses here ("Expected the start of an expression").
        replaceTriggeredBy: [`${this.trigger.terraformResourceType}.${this.trigger.friendlyUniqueId}`],
        // Terraform never plans an update of the delivery, whatever the provider version or a
        // refresh reports: UpdateDeliveryConfiguration can change the record fields, the field
        // delimiter and the S3 suffix path / Hive option, and every such change goes through the
        // trigger above instead. Tags the aspect adds later are written at creation only.
        ignoreChanges: 'all',
        // A delivery created before it became replace-only (an environment applied with an older
        // version) has no trigger in the state; creating the trigger replaces nothing (checked
        // with Terraform 1.11), so a changed field list would be ignored in silence. The plan
        // fails instead, naming the one-time fix.
        postcondition: [
          {
            condition: `\${jsonencode(self.record_fields) == jsonencode(${JSON.stringify(settings.recordFields)})}`,
            errorMessage:
              'The CloudFront log delivery in AWS delivers other record fields than sql/log-columns.ts (it predates the replace-only delivery). ' +
              'Replace it once: terraform apply -replace=<address of this aws_cloudwatch_log_delivery> (docs/usage-job.md, "Changing the delivered fields or the log path").',
          },
          {
            // The same for the log path. AWS reads the suffix path back with the prefix it adds at
            // creation (`/<account>/...` in the provider's acceptance run of PR 41497,
            // https://github.com/hashicorp/terraform-provider-aws/pull/41497), and provider versions
            // differ in whether they strip it (PR 46455): our path is the end of it in every form.
            condition:
              `\${try(endswith(self.s3_delivery_configuration[0].suffix_path, ${JSON.stringify(layout.suffixPath)}) && ` +
              `self.s3_delivery_configuration[0].enable_hive_compatible_path == ${String(layout.hiveCompatiblePath)}, false)}`,
            errorMessage:
              `The CloudFront log delivery in AWS writes another log path than ${layout.suffixPath} (Hive-compatible: ${String(layout.hiveCompatiblePath)}), so the usage job would not find the logs (it predates the replace-only delivery, or AWS did not read the path back). ` +
              'Replace it once: terraform apply -replace=<address of this aws_cloudwatch_log_delivery> (docs/usage-job.md, "Changing the delivered fields or the log path").',
          },
        ],
      },
    });
  }
}
