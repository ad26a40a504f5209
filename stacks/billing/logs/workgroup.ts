/**
 * The Athena workgroup the usage job queries in: engine v3, configuration enforced (clients cannot
 * send results elsewhere or unencrypted), results encrypted (SSE-S3) in the results bucket, and a
 * per-query bytes-scanned cutoff from config (at least 10 MB, Athena's minimum).
 * https://docs.aws.amazon.com/athena/latest/ug/workgroups-setting-control-limits-cloudwatch.html
 */
import { Construct } from 'constructs';
import { AthenaWorkgroup } from '@cdktf/provider-aws/lib/athena-workgroup';

export const ATHENA_ENGINE_VERSION = 'Athena engine version 3';

export class Workgroup extends Construct {
  readonly workgroup: AthenaWorkgroup;

  constructor(scope: Construct, id: string, props: { readonly name: string; readonly resultsBucket: string; readonly bytesScannedCutoff: number }) {
    super(scope, id);
    this.workgroup = new AthenaWorkgroup(this, 'workgroup', {
      name: props.name,
      description: 'Usage job queries over CloudFront logs',
      state: 'ENABLED',
      forceDestroy: true,
      configuration: {
        enforceWorkgroupConfiguration: true,
        publishCloudwatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.bytesScannedCutoff,
        engineVersion: { selectedEngineVersion: ATHENA_ENGINE_VERSION },
        resultConfiguration: {
          outputLocation: `s3://${props.resultsBucket}/results/`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
  }
}
