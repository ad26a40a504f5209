/**
 * `--cloudwatch-endpoint URL`: after each usage run, the local platform publishes the month-to-date
 * metrics with the usage job's own CloudWatch publisher (same names, namespace UsageBilling/local)
 * to an AWS-compatible endpoint, e.g. moto in server mode. Credentials come from the usual AWS
 * environment variables when set, else fixed placeholder ones that such local servers accept.
 */
import { cloudWatchClient } from '../../usage-job/aws/clients';
import { CloudWatchPublisher, cloudWatchApi } from '../../usage-job/aws/cloudwatch-publisher';
import type { UsagePublisher } from '../../usage-job/usage-publisher';
import type { EnvironmentConfig } from '../../config/types';

const PLACEHOLDER_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export function cloudWatchPublisher(endpoint: string, environment: EnvironmentConfig, env: NodeJS.ProcessEnv = process.env): UsagePublisher {
  const fromEnv = env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY;
  const client = cloudWatchClient({
    region: environment.region,
    endpoint,
    credentials: fromEnv ? undefined : PLACEHOLDER_CREDENTIALS,
  });
  return new CloudWatchPublisher(cloudWatchApi(client), { environment: environment.name });
}
