/**
 * `npm start`: the whole metered path on one machine. Prints the URL and curl commands with a
 * real key, serves until SIGINT/SIGTERM, then writes every buffered log record and exits 0.
 */
import { relative } from 'node:path';
import { HELP, readSettings, SettingsError, type LocalSettings } from './config';
import { startLocalPlatform, type LocalPlatform } from './platform';
import { localSeedKeys } from './seed-keys';
import { cloudWatchUsagePublisher } from '../usage-job/aws/index';

/** Credentials local AWS-compatible servers accept, used when the environment sets none. */
const PLACEHOLDER_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

function banner(platform: LocalPlatform, settings: LocalSettings): string {
  const { url, keys } = platform;
  const env = settings.environment;
  const rel = relative(process.cwd(), settings.stateDir);
  const state = rel === '' ? '.' : rel.startsWith('..') ? settings.stateDir : rel;
  const plans = localSeedKeys(env)
    .map((k) => {
      const p = env.usagePlans[k.plan];
      return `    ${k.id} (${k.customer}): plan ${k.plan}, ${p.monthlyQuota} requests/month, ${p.rateLimit}/s, burst ${p.burstLimit}`;
    })
    .join('\n');
  const key = keys[0];
  const tryIt =
    key === undefined
      ? 'No API keys are configured: add one to platformConfig.local.apiKeys in config/environments.ts.\n'
      : `Try it (key "${key.id}"):
  curl -s ${url}/example -H 'x-api-key: ${key.value}'
  curl -s -X POST ${url}/data -H 'x-api-key: ${key.value}' -H 'content-type: application/json' -d '{"hello":"world"}'
`;
  return `Local platform (environment "${env.name}") listening on ${url}
  keys    ${state}/keys.json (kept across restarts)
${plans}
  logs    ${state}/logs (CloudFront standard-log Parquet, flushed every ${settings.flushIntervalMs / 1000} s)
  usage   ${url}/_usage  and  ${url}/_usage.json  (usage job on DuckDB every ${settings.usageIntervalMs / 1000} s)${
    settings.cloudwatchEndpoint ? `\n  metrics published to ${settings.cloudwatchEndpoint}` : ''
  }

${tryIt}
Ctrl-C stops it (every log record is written first).
`;
}

async function main(): Promise<number> {
  let settings: LocalSettings | 'help';
  try {
    settings = readSettings(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof SettingsError) {
      process.stderr.write(`npm start: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (settings === 'help') {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  // --cloudwatch-endpoint: after each usage run that changed the figures, the usage job's own
  // publisher (namespace UsageBilling/local) puts the metrics to that endpoint, e.g. moto.
  const endpoint = settings.cloudwatchEndpoint;
  const fromEnv = Boolean(process.env.AWS_ACCESS_KEY_ID && process.env.AWS_SECRET_ACCESS_KEY);
  const publisher =
    endpoint === undefined
      ? undefined
      : cloudWatchUsagePublisher({
          environment: settings.environment.name,
          connection: { region: settings.environment.region, endpoint, ...(fromEnv ? {} : { credentials: PLACEHOLDER_CREDENTIALS }) },
        });
  let platform: LocalPlatform;
  try {
    platform = await startLocalPlatform(settings, { publisher });
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const reason = e.code === 'EADDRINUSE' ? `port ${settings.port} is in use; set PORT to another port (PORT=3001 npm start)` : e.message;
    process.stderr.write(`npm start: ${reason}\n`);
    return 1;
  }
  process.stdout.write(banner(platform, settings));
  const stopSignal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  process.stdout.write(`\n${stopSignal}: writing buffered log records and stopping (a second Ctrl-C exits at once, losing them)...\n`);
  const force = (signal: NodeJS.Signals) => {
    process.stderr.write(`${signal} again: exiting without writing ${platform.server.logged() - platform.logRecordsWritten()} buffered log records\n`);
    process.exit(130);
  };
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  await platform.stop();
  process.stdout.write(`stopped; ${platform.logRecordsWritten()} log records written under ${platform.logRoot}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`npm start: ${error.message}\n`);
    process.exit(1);
  },
);
