/**
 * With billing sinks configured, a publishing run refuses a --now more than an hour from the clock
 * (a backdated --now can make a Stripe sink resend an event Stripe already counted); --dry-run and
 * --sinks-clock-override (tests against fakes) accept it. The clock is the test's, never the wall clock.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, parseCliArgs, UsageCliError } from './cli';
import type { UsageSink } from './sinks/sink';
import { RecordingSink } from './sinks/testing/fake-sinks';
import { writeRegistryFile } from './testing/registry';

const CLOCK = new Date('2026-11-20T10:00:00Z');
const clock = () => CLOCK;
const STRIPE = {
  requestsEventName: 'api_requests',
  bytesEventName: 'api_bytes_out',
  invoiceGraceHours: 24,
  apiKeySecretName: 'usage/stripe-api-key',
};
let dir: string;
const previousEnvironmentFile = process.env.LOCAL_ENVIRONMENT_FILE;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'usage-cli-sink-clock-'));
  mkdirSync(join(dir, 'logs'));
  writeRegistryFile(join(dir, 'registry.json'), 'local', [{ id: 'acme', name: 'Acme', value: 'acme-live-key-0123456789abcdef', plan: 'basic' }]);
  writeFileSync(join(dir, 'environment.json'), JSON.stringify({ sinks: { stripe: STRIPE } }));
});
beforeEach(() => {
  process.env.LOCAL_ENVIRONMENT_FILE = join(dir, 'environment.json');
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  if (previousEnvironmentFile === undefined) delete process.env.LOCAL_ENVIRONMENT_FILE;
  else process.env.LOCAL_ENVIRONMENT_FILE = previousEnvironmentFile;
});

const args = (now: string, ...extra: string[]) => [
  '--engine',
  'duckdb',
  '--month',
  '2026-11',
  '--logs',
  join(dir, 'logs'),
  '--registry',
  join(dir, 'registry.json'),
  '--state',
  join(dir, 'state'),
  '--now',
  now,
  ...extra,
];

test('a publishing run with sinks refuses a --now two hours before the clock, with one line naming it', () => {
  expect(() => parseCliArgs(args('2026-11-20T08:00:00Z'), clock)).toThrow(UsageCliError);
  expect(() => parseCliArgs(args('2026-11-20T08:00:00Z'), clock)).toThrow(
    /^--now 2026-11-20T08:00:00.000Z is more than an hour from the clock \(2026-11-20T10:00:00.000Z\) and environment local sends to billing sinks \(stripe\)/,
  );
});

test('and one two hours after it', () => {
  expect(() => parseCliArgs(args('2026-11-20T12:00:00Z'), clock)).toThrow(/more than an hour from the clock/);
});

test('within an hour either way it runs', () => {
  expect(parseCliArgs(args('2026-11-20T09:00:00Z'), clock)?.now.toISOString()).toBe('2026-11-20T09:00:00.000Z');
  expect(parseCliArgs(args('2026-11-20T11:00:00Z'), clock)?.now.toISOString()).toBe('2026-11-20T11:00:00.000Z');
});

test('--dry-run and --sinks-clock-override accept any --now', () => {
  expect(parseCliArgs(args('2026-10-01T00:00:00Z', '--dry-run'), clock)?.dryRun).toBe(true);
  expect(parseCliArgs(args('2026-10-01T00:00:00Z', '--sinks-clock-override'), clock)?.now.toISOString()).toBe('2026-10-01T00:00:00.000Z');
});

test('without sinks configured any --now runs', () => {
  writeFileSync(join(dir, 'environment-no-sinks.json'), JSON.stringify({}));
  process.env.LOCAL_ENVIRONMENT_FILE = join(dir, 'environment-no-sinks.json');
  expect(parseCliArgs(args('2026-10-01T00:00:00Z'), clock)?.now.toISOString()).toBe('2026-10-01T00:00:00.000Z');
});

test('the CLI exits 1 with the one-line error before any sink is built or run', async () => {
  const built: UsageSink[] = [];
  let err = '';
  const code = await main(
    args('2026-11-01T00:00:00Z'),
    () => undefined,
    (s) => void (err += s),
    {
      clock,
      sinksFor: async () => {
        built.push(new RecordingSink('recording'));
        return built;
      },
    },
  );
  expect(code).toBe(1);
  expect(built).toEqual([]);
  expect(err.split('\n').filter(Boolean)).toEqual([expect.stringMatching(/^usage: error: --now 2026-11-01T00:00:00.000Z is more than an hour from the clock/)]);
});
