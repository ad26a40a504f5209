/** The engine check's report as text lines (what `npm run verify:terraform` prints). */
import type { CheckReport } from './check';
import { MOTO_LIMITATIONS, MOTO_VERSION } from './moto-limitations';
import { LOCAL_AWS_PROVIDER_VERSION, PROVIDER_REWRITES } from './provider-rewrites';

export function renderReport(report: CheckReport): string[] {
  const lines: string[] = [];
  const used = new Set(report.stacks.flatMap((s) => s.rewrites.filter((r) => r.changes.length > 0).map((r) => r.id)));
  lines.push(`Rewrites for AWS provider ${LOCAL_AWS_PROVIDER_VERSION} (test copies only):`);
  for (const r of PROVIDER_REWRITES) lines.push(`  ${used.has(r.id) ? '*' : ' '} ${r.id}: ${r.reason}`);
  const met = new Set([
    ...report.stacks.flatMap((s) => s.adaptations.filter((a) => a.changes.length > 0).map((a) => a.id)),
    ...report.stacks.flatMap((s) => s.secondPlan.attributed.map((a) => a.limitation)),
  ]);
  lines.push(`moto ${MOTO_VERSION} limitations (* = met in this run through a test-copy change or a second-plan diff):`);
  for (const l of MOTO_LIMITATIONS) lines.push(`  ${met.has(l.id) ? '*' : ' '} ${l.id}: ${l.behaviour} -> ${l.handling}`);
  lines.push('Stacks:');
  for (const s of report.stacks) {
    const changes = s.rewrites.flatMap((r) => r.changes.map((c) => `${r.id}: ${c.at} ${c.detail}`));
    const adapted = s.adaptations.flatMap((a) => a.changes.map((c) => `${a.id}: ${c.at} ${c.detail}`));
    lines.push(`  ${s.stack} (account ${s.accountId}, ${s.region}; product ${s.productProvider}, checked on aws ${LOCAL_AWS_PROVIDER_VERSION})`);
    if (s.refusedWithoutRewrites.length > 0)
      lines.push(`    ${LOCAL_AWS_PROVIDER_VERSION}'s schema refuses the product's JSON at: ${s.refusedWithoutRewrites.join('; ')}`);
    for (const c of [...changes, ...adapted]) lines.push(`    test copy: ${c}`);
    lines.push(`    planned ${s.planned}, created ${s.created}, destroyed ${s.destroyed}`);
    const byLimitation = new Map<string, string[]>();
    for (const a of s.secondPlan.attributed) byLimitation.set(a.limitation, [...(byLimitation.get(a.limitation) ?? []), `${a.address}.${a.path}`]);
    lines.push(
      s.secondPlan.changed.length === 0
        ? '    second plan: no changes'
        : `    second plan: ${s.secondPlan.changed.length} in-place updates, every diff a listed moto limitation: ${[...byLimitation].map(([id, at]) => `${id} (${at.join(', ')})`).join('; ')}`,
    );
    lines.push(`    read back: ${s.readBack.checks} facts, ${s.readBack.policies} policy documents, buckets ${s.readBack.buckets.join(', ') || 'none'}`);
    if (s.usage !== undefined) {
      lines.push(
        `    usage job (athena, ${s.usage.months.join(' and ')}): exit 0, ${s.usage.invoiceLines} invoice lines, ${s.usage.getUsageCalls} GetUsage calls, heartbeat ${String(s.usage.metrics.UsageJobHeartbeat)}, every gauge read back 0`,
      );
    }
    for (const v of s.identities) {
      lines.push(
        v.requests === 0 && v.denied.length === 0 && v.identity.startsWith('administrator')
          ? `    ${v.phase}: ${v.calls} AWS calls as ${v.identity}`
          : `    ${v.phase}: ${v.calls} AWS calls, ${v.requests} IAM requests as ${v.identity}: ${v.denied.length} denied, ${v.unmapped.length} unmapped`,
      );
    }
    lines.push(
      `    after destroy: nothing left in moto${s.leftovers.scheduledForDeletion.length > 0 ? `; scheduled for deletion as in AWS: ${s.leftovers.scheduledForDeletion.join('; ')}` : ''}`,
    );
    lines.push(
      `    seconds: ${Object.entries(s.seconds)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  }
  return lines;
}
