/** Publishes the local usage to an AWS-compatible CloudWatch endpoint (`--cloudwatch-endpoint`). */
import type { EnvironmentConfig } from '../../stacks/config/types';
import type { UsagePublisher } from '../../lambdas/usage-job/usage-publisher';

export function cloudWatchPublisher(endpoint: string, environment: EnvironmentConfig): UsagePublisher {
  throw new Error(`--cloudwatch-endpoint ${endpoint} (${environment.name}): the CloudWatch publisher is not wired yet`);
}
