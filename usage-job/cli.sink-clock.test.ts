/**
 * With billing sinks configured, a publishing run refuses a --now more than an hour from the clock
 * (a backdated --now can make a Stripe sink resend an event Stripe already counted); --dry-run and
 * --sinks-clock-override (tests against fakes) accept it. The clock is the test's, never the wall clock.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCliArgs, UsageCliError } from './cli';
import type { UsageSink } from './sinks/sink';
import { RecordingSink } from './sinks/testing/fake-sinks';
import { cliWorkspace, runCliInProcess, type CliWorkspace } from './testing/cli-workspace';

const CLOCK = new Date('2026-11-20T10:00:00Z');
const clock = () => CLOCK;
const STRIPE = {
  requestsEventName: 'api_requests',
  bytesEventName: 'api_bytes_out',
  invoiceGraceHours: 24,
  apiKeySecretName: 'usage/stripe-api-key',
};
let ws: CliWorkspace;
const previousEnvironmentFile = process.env.LOCAL_ENVIRONMENT_FILE;

beforeAll(() => {
  ws = cliWorkspace('usage-cli-sink-clock-', [{ id: 'acme', name: 'Acme', value: 'acme-live-key-0123456789abcdef', plan: 'basic' }]);
  writeFileSync(join(ws.dir, 'environment.json'), JSON.stringify({ sinks: { stripe: STRIPE } }));
});
beforeEach(() => {
  process.env.LOCAL_ENVIRONMENT_FILE = join(ws.dir, 'environment.json');
});
afterAll(() => {
  ws.remove();
  if (previousEnvironmentFile === undefined) delete process.env.LOCAL_ENVIRONMENT_FILE;
  else process.env.LOCAL_ENVIRONMENT_FILE = previousEnvironmentFile;
});

const args = (now: string, ...extra: string[]) => [...ws.duckdbArgs('2026-11'), '--now', now, ...extra];

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
  writeFileSync(join(ws.dir, 'environment-no-sinks.json'), JSON.stringify({}));
  process.env.LOCAL_ENVIRONMENT_FILE = join(ws.dir, 'environment-no-sinks.json');
  expect(parseCliArgs(args('2026-10-01T00:00:00Z'), clock)?.now.toISOString()).toBe('2026-10-01T00:00:00.000Z');
});

test('the CLI exits 1 with the one-line error before any sink is built or run', async () => {
  const built: UsageSink[] = [];
  const { code, err } = await runCliInProcess(args('2026-11-01T00:00:00Z'), {
    clock,
    sinksFor: async () => {
      built.push(new RecordingSink('recording'));
      return built;
    },
  });
  expect(code).toBe(1);
  expect(built).toEqual([]);
  expect(err.split('\n').filter(Boolean)).toEqual([expect.stringMatching(/^usage: error: --now 2026-11-01T00:00:00.000Z is more than an hour from the clock/)]);
});
