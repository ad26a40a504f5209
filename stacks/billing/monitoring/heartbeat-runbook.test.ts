/** The heartbeat alarm tells whoever receives it how to finish a month the usage job missed. */
import { resourceNames } from '../../../contracts/resource-names';
import { platformConfig } from '../../../config/environments';
import { billingStackName } from '../../stack-names';
import { resourcesOf, synthPlatform } from '../../testing/synth-platform';

const stacks = synthPlatform(platformConfig, 'local');

test.each(platformConfig.environments.map((env) => [env.name, env] as const))('the heartbeat alarm of %s says how to finish a missed month', (_name, env) => {
  const synth = stacks.get(billingStackName(env.name));
  if (!synth) throw new Error('missing stack');
  const heartbeat = [...resourcesOf(synth, 'aws_cloudwatch_metric_alarm').values()].find((a) => a.alarm_name === `${env.prefix}-usage-job-heartbeat`);
  const description = String(heartbeat?.alarm_description);
  expect(description).toContain(`gh workflow run usage -f environment=${env.name} -f month=YYYY-MM`);
  expect(description).toContain(`s3://${resourceNames(env).usageBucket}/invoices/${env.name}/YYYY-MM/`);
  expect(description.length).toBeLessThanOrEqual(1024); // CloudWatch's limit for AlarmDescription
});
