/**
 * `npm run --silent keys -- <command> --env <env> [--format json|table]`: customers and API keys as
 * data (docs/keys.md). Runs on an operator's machine, never in a workflow: create and rotate print a
 * key value once.
 *
 * Where things are (environment variables; defaults in docs/keys.md):
 *   KEYS_REGISTRY_FILE   use a local registry file instead of S3 (default for --env local)
 *   KEYS_REGISTRY_BUCKET the registry's S3 bucket (default <prefix>-key-registry-<account id>)
 *   KEYS_S3_ENDPOINT, KEYS_APIGW_ENDPOINT   endpoints (moto and the stand-ins in tests)
 *   KEYS_EDGE_FILE       the edge store as a JSON file (default for --env local)
 *   KEYS_EDGE_STORE_ARN  the CloudFront KeyValueStore (billing stack output edge_key_store_arn)
 *   KEYS_EDGE_ENDPOINT   the KeyValueStore endpoint (the stand-in in tests)
 *   LOCAL_STATE_DIR      the local platform's state folder (default .local)
 *   KEYS_MARKETPLACE_REGION, KEYS_MARKETPLACE_ENDPOINT   the Metering Service for link-marketplace (default: the environment's region)
 *   KEYS_FAULT_AFTER_STEP=N   fault tests only: the process kills itself (SIGKILL) after step N
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { platformConfig } from '../config/environments';
import { resourceNames } from '../contracts/resource-names';
import { KEY_REGISTRY_OBJECT } from '../contracts/usage-job-deployment';
import type { EnvironmentConfig } from '../config/types';
import { AwsEdgeKeyStore } from './edge-store-aws';
import { apiGatewayClient, AwsKeyGateway, type KeyGateway } from './api-gateway';
import { createFromCsv, parseCustomersCsv, type BulkMode } from './bulk';
import {
  createKey,
  importKeys,
  KeysInputError,
  listCustomers,
  parseGrace,
  revokeKey,
  rotateKey,
  setPlan,
  showCustomer,
  sync,
  type CustomerView,
  type KeysContext,
} from './commands';
import type { EdgeKeyStore } from './edge-store';
import { FileEdgeKeyStore } from './edge-store-file';
import { MemoryKeyGateway } from './memory-gateway';
import { RegistryConflictError, type RegistryStore } from './registry';
import { FileRegistryStore } from './registry-file';
import { generateKeyValue } from './key-value';
import { setBilling } from './billing';
import { applyMarketplaceNotification, linkMarketplace, parseMarketplaceNotification, sdkMarketplaceResolver } from './marketplace';
import { S3RegistryStore } from './registry-s3';

/** Re-exported for bench/keys.ts, which imports it from here. */
export { generateKeyValue };

export const USAGE = `usage: npm run --silent keys -- <command> --env <env> [--format json|table]
  create --customer NAME --plan PLAN [--id ID] [--stripe-customer ID] [--marketplace-account ID --marketplace-license ARN]
  create --from-csv FILE --values-out FILE [--one-at-a-time]   (CSV columns id,customer,plan; FILE is never overwritten)
  rotate ID [--grace 24h]
  revoke ID
  set-plan ID PLAN
  set-billing ID (--stripe-customer cus_... | --clear-stripe-customer)   (one billing channel per customer: Stripe or AWS Marketplace)
  list
  show ID
  sync [--fix] [--pending-age 15m]   (pending operations younger than that are left alone as in flight)
  import        adopt the Terraform-managed keys named <prefix>-<id>
  link-marketplace ID --registration-token TOKEN [--product-code CODE]   (ResolveCustomer; records the buyer's AWS Marketplace ids)
  marketplace-notification --message FILE   (one AWS Marketplace SNS subscription message, envelope or bare)`;

type Out = (s: string) => void;

interface Args {
  readonly positional: string[];
  readonly options: Map<string, string>;
  readonly flags: Set<string>;
}

const FLAGS = new Set(['fix', 'one-at-a-time', 'help', 'clear-stripe-customer']);
const OPTIONS = new Set([
  'env',
  'format',
  'customer',
  'plan',
  'id',
  'grace',
  'pending-age',
  'from-csv',
  'values-out',
  'stripe-customer',
  'marketplace-account',
  'marketplace-license',
  'registration-token',
  'product-code',
  'message',
]);

function parseArgs(argv: readonly string[]): Args {
  const positional: string[] = [];
  const options = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const name = a.slice(2);
    if (FLAGS.has(name)) flags.add(name);
    else if (OPTIONS.has(name)) {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new KeysInputError(`--${name} needs a value`);
      options.set(name, v);
    } else throw new KeysInputError(`unknown option ${a}; see --help`);
  }
  return { positional, options, flags };
}

export function environment(name: string | undefined): EnvironmentConfig {
  const all = [...platformConfig.environments, platformConfig.local];
  const env = all.find((e) => e.name === name);
  if (env === undefined) throw new KeysInputError(`--env must be one of ${all.map((e) => e.name).join(', ')}`);
  return env;
}

const KVS_ARN = /^arn:aws[a-z-]*:cloudfront::\d{12}:key-value-store\/[A-Za-z0-9-]+$/;

/**
 * The edge store in AWS: the environment's CloudFront KeyValueStore, named by the billing stack's
 * output `edge_key_store_arn` (KEYS_EDGE_STORE_ARN). Refused with one line when it is missing or
 * is not a KeyValueStore ARN, before anything is written.
 */
function awsEdgeStore(env: EnvironmentConfig, vars: NodeJS.ProcessEnv): EdgeKeyStore {
  const arn = vars.KEYS_EDGE_STORE_ARN;
  if (arn === undefined || arn === '') {
    throw new KeysInputError(
      `environment ${env.name}: set KEYS_EDGE_STORE_ARN to the billing stack's output edge_key_store_arn (terraform output -raw edge_key_store_arn), or KEYS_EDGE_FILE to use a file edge store`,
    );
  }
  if (!KVS_ARN.test(arn))
    throw new KeysInputError(`KEYS_EDGE_STORE_ARN must be a CloudFront KeyValueStore ARN (arn:aws:cloudfront::<account>:key-value-store/<id>), got "${arn}"`);
  const endpoint = vars.KEYS_EDGE_ENDPOINT;
  return new AwsEdgeKeyStore({ kvsArn: arn, ...(endpoint !== undefined && endpoint !== '' ? { client: { endpoint } } : {}) });
}

export function contextFromEnv(env: EnvironmentConfig, vars: NodeJS.ProcessEnv): KeysContext {
  const local = env.name === platformConfig.local.name;
  const stateDir = resolve(vars.LOCAL_STATE_DIR !== undefined && vars.LOCAL_STATE_DIR !== '' ? vars.LOCAL_STATE_DIR : '.local');
  const registryFile = vars.KEYS_REGISTRY_FILE ?? (local ? join(stateDir, 'registry.json') : undefined);
  const registry: RegistryStore =
    registryFile !== undefined
      ? new FileRegistryStore(resolve(registryFile))
      : new S3RegistryStore(
          new S3Client({ region: env.region, ...(vars.KEYS_S3_ENDPOINT !== undefined ? { endpoint: vars.KEYS_S3_ENDPOINT, forcePathStyle: true } : {}) }),
          vars.KEYS_REGISTRY_BUCKET ?? resourceNames(env).keyRegistryBucket,
          KEY_REGISTRY_OBJECT,
        );
  const gateway: KeyGateway = local
    ? new MemoryKeyGateway(env.prefix, Object.keys(env.usagePlans), join(stateDir, 'api-gateway-keys.json'))
    : new AwsKeyGateway(apiGatewayClient(env.region, vars.KEYS_APIGW_ENDPOINT));
  const edgeFile = vars.KEYS_EDGE_FILE ?? (local ? join(stateDir, 'edge-keys.json') : undefined);
  const edge = edgeFile !== undefined ? new FileEdgeKeyStore(resolve(edgeFile)) : awsEdgeStore(env, vars);
  const faultAfter = vars.KEYS_FAULT_AFTER_STEP !== undefined ? Number(vars.KEYS_FAULT_AFTER_STEP) : undefined;
  let steps = 0;
  return {
    env,
    registry,
    gateway,
    edge,
    now: () => new Date(),
    generateValue: generateKeyValue,
    keyLimit: vars.KEYS_KEY_LIMIT !== undefined ? Number(vars.KEYS_KEY_LIMIT) : undefined,
    otherPrefixes: [...platformConfig.environments, platformConfig.local].filter((e) => e.name !== env.name).map((e) => e.prefix),
    step: async () => {
      steps++;
      if (faultAfter !== undefined && steps >= faultAfter) process.kill(process.pid, 'SIGKILL');
    },
  };
}

const COLUMNS = ['id', 'customer', 'plan', 'status', 'deadline', 'fingerprint', 'value'] as const;

export function table(rows: readonly Record<string, unknown>[], columns: readonly string[]): string {
  const used = columns.filter((c) => rows.some((r) => r[c] !== undefined));
  const cell = (v: unknown) => (v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const widths = used.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  return [line(used), ...rows.map((r) => line(used.map((c) => cell(r[c]))))].join('\n') + '\n';
}

function print(
  out: Out,
  format: string,
  data: unknown,
  rows: readonly CustomerView[] | readonly Record<string, unknown>[],
  columns: readonly string[] = COLUMNS,
): void {
  if (format === 'json') out(JSON.stringify(data, null, 2) + '\n');
  else out(table(rows as readonly Record<string, unknown>[], columns));
}

export async function main(argv: readonly string[], out: Out, err: Out, vars: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    const args = parseArgs(argv);
    if (args.flags.has('help') || args.positional.length === 0) {
      (args.flags.has('help') ? out : err)(USAGE + '\n');
      return args.flags.has('help') ? 0 : 2;
    }
    const [command, ...rest] = args.positional as [string, ...string[]];
    const format = args.options.get('format') ?? 'table';
    if (format !== 'json' && format !== 'table') throw new KeysInputError('--format must be json or table');
    const env = environment(args.options.get('env'));
    const need = (n: number, what: string) => {
      if (rest.length !== n) throw new KeysInputError(`${command} takes ${what}; see --help`);
    };
    const ctx = contextFromEnv(env, vars);
    switch (command) {
      case 'create': {
        need(0, 'options only');
        const csv = args.options.get('from-csv');
        if (csv !== undefined) {
          const valuesOut = args.options.get('values-out');
          if (valuesOut === undefined) throw new KeysInputError('create --from-csv needs --values-out FILE (where the new values are written, mode 0600)');
          const rows = parseCustomersCsv(readFileSync(csv, 'utf8'), csv);
          const mode: BulkMode = args.flags.has('one-at-a-time') ? 'one-at-a-time' : 'import';
          const result = await createFromCsv(ctx, rows, resolve(valuesOut), mode);
          const summary = result.issued.map(({ value: _v, ...v }) => v);
          const valuesFile = resolve(valuesOut);
          const appended = summary.length - result.alreadyInFile.length;
          print(
            out,
            format,
            { mode: result.mode, created: summary.length, valuesFile, appended, alreadyInFile: result.alreadyInFile, customers: summary },
            summary,
          );
          if (format === 'table') {
            out(`${appended} new values appended to ${valuesFile}`);
            out(result.alreadyInFile.length > 0 ? `; ${result.alreadyInFile.length} were already there from the interrupted run (not written again)\n` : '\n');
          }
          return 0;
        }
        const customer = args.options.get('customer');
        const plan = args.options.get('plan');
        if (customer === undefined || plan === undefined) throw new KeysInputError('create needs --customer NAME and --plan PLAN (or --from-csv FILE)');
        const account = args.options.get('marketplace-account');
        const license = args.options.get('marketplace-license');
        if ((account === undefined) !== (license === undefined)) throw new KeysInputError('--marketplace-account and --marketplace-license go together');
        const stripe = args.options.get('stripe-customer');
        const issued = await createKey(ctx, {
          customer,
          plan,
          id: args.options.get('id'),
          billing: {
            ...(stripe !== undefined ? { stripeCustomerId: stripe } : {}),
            ...(account !== undefined && license !== undefined ? { marketplaceCustomerAwsAccountId: account, marketplaceLicenseArn: license } : {}),
          },
        });
        print(out, format, issued, [issued]);
        return 0;
      }
      case 'rotate': {
        need(1, 'a customer id');
        const issued = await rotateKey(ctx, rest[0] as string, parseGrace(args.options.get('grace') ?? '24h'));
        print(out, format, issued, [issued]);
        return 0;
      }
      case 'revoke': {
        need(1, 'a customer id');
        const v = await revokeKey(ctx, rest[0] as string);
        print(out, format, v, [v]);
        if (format === 'table') out(`edge: ${v.edgePropagation}\n`);
        return 0;
      }
      case 'set-plan': {
        need(2, 'a customer id and a plan');
        const v = await setPlan(ctx, rest[0] as string, rest[1] as string);
        print(out, format, v, [v]);
        return 0;
      }
      case 'set-billing': {
        need(1, 'a customer id');
        const stripe = args.options.get('stripe-customer');
        const clear = args.flags.has('clear-stripe-customer');
        if ((stripe === undefined) === !clear)
          throw new KeysInputError('set-billing needs exactly one of --stripe-customer cus_... and --clear-stripe-customer');
        const result = await setBilling(ctx, rest[0] as string, { stripeCustomerId: stripe ?? null });
        const row = { ...result.customer, changed: result.changed, ...(result.previous !== undefined ? { previous: result.previous } : {}) };
        print(out, format, row, [row], [...COLUMNS, 'billing', 'changed']);
        if (result.previous !== undefined && format === 'table')
          out(`was ${result.previous}: usage of this month already sent to Stripe under it stays there; see docs/keys.md (Billing ids)\n`);
        return 0;
      }
      case 'list': {
        need(0, 'no arguments');
        const all = await listCustomers(ctx);
        print(out, format, all, all);
        return 0;
      }
      case 'show': {
        need(1, 'a customer id');
        const v = await showCustomer(ctx, rest[0] as string);
        print(out, format, v, [v], [...COLUMNS, 'fingerprints', 'apiKeyIds', 'createdAt', 'revokedAt', 'billing', 'pending']);
        return 0;
      }
      case 'sync': {
        need(0, 'no arguments');
        const fix = args.flags.has('fix');
        const age = args.options.get('pending-age');
        const report = await sync(ctx, fix, age !== undefined ? { pendingAgeSeconds: parseGrace(age, '--pending-age') } : {});
        if (format === 'json') out(JSON.stringify(report, null, 2) + '\n');
        else {
          out(
            report.drift.length === 0
              ? 'no drift\n'
              : table(report.drift as unknown as Record<string, unknown>[], ['customer', 'fingerprint', 'problem', 'fix', 'fixed']),
          );
          for (const p of report.inFlight) {
            out(
              `in flight, left alone: ${p.operation} of ${p.customer} since ${p.startedAt}; sync finishes or undoes it after ${p.leftAloneUntil} (--pending-age 0s if its command is known to have died)\n`,
            );
          }
          const c = report.capacity;
          out(
            `capacity: ${c.free} of ${c.limit} free (${c.active} active, ${c.grace} in grace, ${c.revokedNotDeleted} revoked not yet deleted, ${c.pending} pending); API Gateway holds ${report.apiGatewayKeys} keys under ${env.prefix}-\n`,
          );
        }
        return !fix && report.drift.length > 0 ? 1 : 0;
      }
      case 'import': {
        need(0, 'no arguments');
        const report = await importKeys(ctx);
        if (format === 'json') out(JSON.stringify(report, null, 2) + '\n');
        else {
          out(report.imported.length === 0 ? 'nothing to import\n' : table(report.imported as unknown as Record<string, unknown>[], COLUMNS));
          for (const s of report.skipped) out(`skipped ${s}\n`);
        }
        return 0;
      }
      case 'link-marketplace': {
        need(1, 'a customer id');
        const token = args.options.get('registration-token');
        if (token === undefined)
          throw new KeysInputError('link-marketplace needs --registration-token TOKEN (the x-amzn-marketplace-token the buyer was redirected with)');
        const region = vars.KEYS_MARKETPLACE_REGION !== undefined && vars.KEYS_MARKETPLACE_REGION !== '' ? vars.KEYS_MARKETPLACE_REGION : env.region;
        const v = await linkMarketplace(
          ctx,
          rest[0] as string,
          token,
          sdkMarketplaceResolver(region, vars.KEYS_MARKETPLACE_ENDPOINT),
          args.options.get('product-code'),
        );
        print(out, format, v, [v], [...COLUMNS, 'billing']);
        return 0;
      }
      case 'marketplace-notification': {
        need(0, 'options only');
        const file = args.options.get('message');
        if (file === undefined) throw new KeysInputError('marketplace-notification needs --message FILE (one SNS message)');
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (error) {
          throw new KeysInputError(`--message ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
        }
        const applied = await applyMarketplaceNotification(ctx, parseMarketplaceNotification(text, file));
        const row = { ...applied.customer, changed: applied.changed };
        print(out, format, row, [row], [...COLUMNS, 'billing', 'changed']);
        return 0;
      }
      default:
        throw new KeysInputError(`unknown command "${command}"; see --help`);
    }
  } catch (error) {
    const e = error as Error;
    err(`keys: ${e.message.split('\n')[0]}\n`);
    return e instanceof KeysInputError || e instanceof RegistryConflictError ? 2 : 1;
  }
}

if (require.main === module) {
  void main(
    process.argv.slice(2),
    (s) => process.stdout.write(s),
    (s) => process.stderr.write(s),
  ).then((code) => {
    process.exitCode = code;
  });
}
