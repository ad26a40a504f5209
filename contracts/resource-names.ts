/**
 * Names of the AWS resources that both the stacks (which create them) and the usage job (which
 * uses them) must agree on. Derived from the environment's prefix and account.
 */
export interface NamedEnvironment {
  readonly name: string;
  readonly prefix: string;
  readonly accountId: string;
}

export interface ResourceNames {
  readonly logBucket: string;
  readonly athenaResultsBucket: string;
  /** Holds per-hour rollups, the run manifest, invoices and the usage-job deployment file. */
  readonly usageBucket: string;
  /** Holds the key registry (docs/keys.md): customers and key fingerprints, never key values. Versioned. */
  readonly keyRegistryBucket: string;
  readonly glueDatabase: string;
  readonly glueTable: string;
  readonly athenaWorkgroup: string;
  readonly alarmTopic: string;
  readonly dashboard: string;
}

export function resourceNames(env: NamedEnvironment): ResourceNames {
  const snake = env.prefix.replace(/-/g, '_');
  return {
    logBucket: `${env.prefix}-cf-logs-${env.accountId}`,
    athenaResultsBucket: `${env.prefix}-athena-results-${env.accountId}`,
    usageBucket: `${env.prefix}-usage-${env.accountId}`,
    keyRegistryBucket: `${env.prefix}-key-registry-${env.accountId}`,
    glueDatabase: `${snake}_logs`,
    glueTable: 'cloudfront_logs',
    athenaWorkgroup: `${env.prefix}-usage`,
    alarmTopic: `${env.prefix}-usage-alarms`,
    dashboard: `${env.prefix}-usage`,
  };
}
