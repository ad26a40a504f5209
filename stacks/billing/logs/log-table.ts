/**
 * Glue database and table over the delivered logs, with partition projection so Athena needs no
 * crawler and no ALTER TABLE ADD PARTITION. Columns come from the one list in sql/log-columns.ts
 * (all strings, as in AWS's DDL for v2 Parquet logs); partition keys year/month/day/hour are
 * integers with two-digit padding for month, day and hour (hours 00 to 23). The distribution id
 * is injected into the location template (one distribution per environment).
 * https://docs.aws.amazon.com/athena/latest/ug/create-cloudfront-table-partition-parquet.html
 * https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html
 */
import { Construct } from 'constructs';
import { GlueCatalogDatabase } from '@cdktf/provider-aws/lib/glue-catalog-database';
import { GlueCatalogTable } from '@cdktf/provider-aws/lib/glue-catalog-table';
import { distributionPrefix, LOG_COLUMNS, PARTITION_KEYS } from '../../../sql/log-columns';

/** Years the projection enumerates; queries always name the partitions they read. */
export const PROJECTED_YEARS = '2025,2099';

type PartitionKey = (typeof PARTITION_KEYS)[number];

const PROJECTION: Record<PartitionKey, { readonly range: string; readonly digits?: number }> = {
  year: { range: PROJECTED_YEARS },
  month: { range: '1,12', digits: 2 },
  day: { range: '1,31', digits: 2 },
  hour: { range: '0,23', digits: 2 },
};

/** Location of one distribution's logs as delivered with the Hive-compatible option (docs/contracts.md, log layout). */
export function distributionLogLocation(bucket: string, accountId: string, distributionId: string): string {
  return `s3://${bucket}/${distributionPrefix(accountId, distributionId)}`;
}

/**
 * Template Athena fills with projected partition values. `$${...}` is Terraform's escape for a
 * literal `${...}` (Athena's placeholder), so Terraform does not try to interpolate it.
 */
export function locationTemplate(bucket: string, accountId: string, distributionId: string): string {
  return distributionLogLocation(bucket, accountId, distributionId) + PARTITION_KEYS.map((k) => `${k}=$\${${k}}`).join('/') + '/';
}

export function projectionParameters(template: string): Record<string, string> {
  const params: Record<string, string> = { 'projection.enabled': 'true', 'storage.location.template': template };
  for (const key of PARTITION_KEYS) {
    const p = PROJECTION[key];
    params[`projection.${key}.type`] = 'integer';
    params[`projection.${key}.range`] = p.range;
    if (p.digits !== undefined) params[`projection.${key}.digits`] = String(p.digits);
  }
  return params;
}

/**
 * The table's columns: every delivered field, all strings. Glue and Athena keep column names in
 * lower case (AWS's DDL for these logs spells cs_user_agent) and match Parquet columns by name
 * without regard to case, so cs_User_Agent in a delivered file reads as cs_user_agent here.
 */
export function glueColumns(): { name: string; type: 'string'; comment: string }[] {
  return LOG_COLUMNS.map((c) => ({ name: c.column.toLowerCase(), type: 'string', comment: c.comment }));
}

export interface LogTableProps {
  readonly databaseName: string;
  readonly tableName: string;
  readonly bucket: string;
  readonly accountId: string;
  readonly distributionId: string;
}

export class LogTable extends Construct {
  readonly database: GlueCatalogDatabase;
  readonly table: GlueCatalogTable;

  constructor(scope: Construct, id: string, props: LogTableProps) {
    super(scope, id);
    this.database = new GlueCatalogDatabase(this, 'database', {
      name: props.databaseName,
      description: 'CloudFront access logs (standard logging v2, Parquet) of the metered API',
    });
    this.table = new GlueCatalogTable(this, 'table', {
      databaseName: this.database.name,
      name: props.tableName,
      description: 'One row per viewer request; columns of the delivered log fields (sql/log-columns.ts)',
      tableType: 'EXTERNAL_TABLE',
      parameters: {
        EXTERNAL: 'TRUE',
        classification: 'parquet',
        ...projectionParameters(locationTemplate(props.bucket, props.accountId, props.distributionId)),
      },
      partitionKeys: PARTITION_KEYS.map((name) => ({ name, type: 'int' })),
      storageDescriptor: {
        location: distributionLogLocation(props.bucket, props.accountId, props.distributionId),
        inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
        outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
        serDeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
        columns: glueColumns(),
      },
    });
  }
}
