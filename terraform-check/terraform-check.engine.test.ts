/**
 * The engine check in the full run (`npm run test:all`; the fast `npm test` tier leaves it out):
 * every stack synthesized, planned and applied by Terraform with AWS provider 5.100.0 against its
 * own moto server, read back, the usage job run against what Terraform created, destroyed, nothing
 * left. The same code as `npm run verify:terraform`; it needs terraform on PATH and the provider's
 * local mirror (TF_PLUGIN_MIRROR, which .ci/run sets), and fails saying so when either is missing.
 */
import { platformConfig } from '../config/environments';
import { bootstrapDriftRoleName } from '../stacks/bootstrap/deploy-roles';
import { billingStackName } from '../stacks/stack-names';
import { repoPath } from '../stacks/shared/repo';
import { expectedStacks, runTerraformCheck, type CheckReport } from './check';
import { findPluginMirror } from './plugin-mirror';
import { renderReport } from './report';

let report: CheckReport;

beforeAll(async () => {
  const mirror = findPluginMirror();
  if (typeof mirror === 'string') throw new Error(mirror);
  report = await runTerraformCheck({
    workDir: repoPath('.gen', 'terraform-check-engine-test'),
    mirror,
    progress: (line) => process.stderr.write(`terraform-check: ${line}\n`),
  });
  process.stderr.write(`${renderReport(report).join('\n')}\n`);
}, 40 * 60_000);

describe('Terraform engine check (AWS provider 5.100.0 on moto)', () => {
  it('passes for every stack the platform synthesizes, bootstrap stacks included', () => {
    expect(report.failures).toEqual([]);
    expect(report.stacks.map((s) => s.stack).sort()).toEqual(expectedStacks(platformConfig).sort());
  });

  it('creates what it planned and destroys what it created, leaving nothing in moto', () => {
    for (const s of report.stacks) {
      expect([s.stack, s.created]).toEqual([s.stack, s.planned]);
      expect([s.stack, s.destroyed]).toEqual([s.stack, s.created]);
      expect([s.stack, s.leftovers.left]).toEqual([s.stack, []]);
      expect(s.planned).toBeGreaterThan(0);
    }
  });

  it('leaves a second plan whose every diff is a listed moto limitation', () => {
    for (const s of report.stacks) expect([s.stack, s.secondPlan.unexplained]).toEqual([s.stack, []]);
    const billing = report.stacks.filter((s) => s.stack.startsWith('billing-'));
    for (const s of billing) {
      expect(new Set(s.secondPlan.attributed.map((a) => a.limitation))).toEqual(
        new Set(['cloudfront-forwarded-values-default', 'cloudfront-function-associations', 'cloudfront-ssl-support-method-default', 'lambda-logging-config']),
      );
    }
    for (const s of report.stacks.filter((x) => x.stack.startsWith('bootstrap'))) expect([s.stack, s.secondPlan.changed]).toEqual([s.stack, []]);
  });

  it("judges every phase of every billing stack, and each bootstrap's refreshes, under its production role: calls recorded, none denied or unmapped", () => {
    for (const env of platformConfig.environments) {
      const s = report.stacks.find((x) => x.stack === billingStackName(env.name));
      const phases = (s?.identities ?? []).map((v) => [v.phase, v.identity, v.denied.length, v.unmapped.length]);
      expect(phases).toEqual([
        ['plan', `${env.prefix}-github-plan`, 0, 0],
        ['apply', `${env.prefix}-github-apply`, 0, 0],
        ['plan-2', `${env.prefix}-github-plan`, 0, 0],
        ['usage job', `${env.prefix}-github-usage-job`, 0, 0],
        ['destroy', `${env.prefix}-github-apply`, 0, 0],
      ]);
      for (const v of s?.identities ?? []) if (v.phase !== 'plan') expect([v.phase, v.calls > 0]).toEqual([v.phase, true]);
    }
    // A bootstrap's refreshes run as its drift role (the drift workflow), apply and destroy as an administrator.
    const drift = bootstrapDriftRoleName(platformConfig);
    for (const s of report.stacks.filter((x) => x.stack.startsWith('bootstrap'))) {
      expect([s.stack, s.identities.map((v) => [v.phase, v.identity, v.denied.length, v.unmapped.length])]).toEqual([
        s.stack,
        [
          ['plan', drift, 0, 0],
          ['apply', 'administrator (not judged)', 0, 0],
          ['plan-2', drift, 0, 0],
          ['destroy', 'administrator (not judged)', 0, 0],
        ],
      ]);
      expect(s.identities.find((v) => v.phase === 'plan-2')?.requests).toBeGreaterThan(0);
    }
  });

  it('runs the usage job against every environment Terraform created, publishing zeros and a heartbeat', () => {
    for (const env of platformConfig.environments) {
      const s = report.stacks.find((x) => x.stack === billingStackName(env.name));
      // One customer per usage plan, made with the keys CLI (terraform-check/seed-customers.ts).
      expect(s?.usage?.invoiceLines).toBe(Object.keys(env.usagePlans).length);
      expect(s?.usage?.metrics.UsageJobHeartbeat).toBe(s?.usage?.months.length);
      expect(s?.usage?.getUsageCalls).toBeGreaterThan(0);
    }
  });

  it('needed only the listed rewrites: the region alias and the runtime in billing stacks, the pin everywhere', () => {
    for (const s of report.stacks) {
      // 5.100.0's schema refuses exactly the 6.x per-resource region arguments, which the alias rewrite covers.
      expect([s.stack, s.refusedWithoutRewrites.map((r) => r.replace(/\.[^.]+: /, ': '))]).toEqual([
        s.stack,
        s.stack.startsWith('billing-')
          ? [
              'aws_cloudwatch_log_delivery: argument "region"',
              'aws_cloudwatch_log_delivery_destination: argument "region"',
              'aws_cloudwatch_log_delivery_source: argument "region"',
            ]
          : [],
      ]);
      const used = s.rewrites.filter((r) => r.changes.length > 0).map((r) => r.id);
      expect([s.stack, used]).toEqual([
        s.stack,
        s.stack.startsWith('billing-') ? ['provider-pin', 'resource-region-to-provider-alias', 'lambda-runtime-fallback'] : ['provider-pin'],
      ]);
    }
  });
});
