/**
 * What a plan of `main` against the live infrastructure means for the drift check, from the plan
 * JSON (delivery/plan-json.ts):
 *
 * - drift: Terraform's refresh found objects changed outside Terraform (`resource_drift`); the
 *   changes to those addresses put them back;
 * - unapplied: the other changes are configuration merged to main and not applied yet (an apply run
 *   may be queued or waiting for its approval), not something someone changed by hand;
 * - clean: nothing to do.
 *
 * https://developer.hashicorp.com/terraform/internals/json-format (resource_drift: "changes made
 * outside of Terraform", detected during the refresh that precedes the plan)
 */
import { kindOf } from './plan-changes';
import type { TerraformPlan } from './plan-json';

export type DriftStatus = 'clean' | 'unapplied' | 'drift' | 'drift-and-unapplied';

export interface DriftReport {
  readonly status: DriftStatus;
  /** Objects changed outside Terraform, with what Terraform saw ("update", "delete"). */
  readonly drifted: readonly { readonly address: string; readonly kind: string; readonly corrected: boolean }[];
  /** Changes to apply that no outside change explains: merged configuration not applied yet. */
  readonly unapplied: readonly { readonly address: string; readonly kind: string }[];
}

export function classifyDrift(plan: TerraformPlan): DriftReport {
  const changes = plan.resource_changes.filter((rc) => kindOf(rc.change.actions) !== 'no-op' && kindOf(rc.change.actions) !== 'read');
  const changed = new Set(changes.map((rc) => rc.address));
  const drifted = plan.resource_drift
    .filter((rc) => kindOf(rc.change.actions) !== 'no-op')
    .map((rc) => ({ address: rc.address, kind: kindOf(rc.change.actions), corrected: changed.has(rc.address) }));
  const driftedAddresses = new Set(drifted.map((d) => d.address));
  const unapplied = changes.filter((rc) => !driftedAddresses.has(rc.address)).map((rc) => ({ address: rc.address, kind: kindOf(rc.change.actions) }));
  const status: DriftStatus = drifted.length > 0 ? (unapplied.length > 0 ? 'drift-and-unapplied' : 'drift') : unapplied.length > 0 ? 'unapplied' : 'clean';
  return { status, drifted, unapplied };
}

const code = (s: string): string => `\`${s.replace(/`/g, "'")}\``;

/** The body of the environment's drift issue (without its marker). */
export function driftIssueBody(environment: string, report: DriftReport, runUrl: string): string {
  const lines: string[] = [];
  if (report.drifted.length > 0) {
    lines.push(
      `### Changed outside Terraform in \`${environment}\``,
      '',
      'The live infrastructure differs from what Terraform last applied: someone or something changed these objects outside Terraform.',
      'Decide whether to keep the change (put it into the code and merge it) or to undo it (run the apply workflow for the head of main, which applies the plan in the run below).',
      '',
      '| Object | Changed outside Terraform | Corrected by the next apply |',
      '|---|---|---|',
      ...report.drifted.map((d) => `| ${code(d.address)} | ${d.kind} | ${d.corrected ? 'yes' : 'no (the configuration ignores it)'} |`),
      '',
    );
  }
  if (report.unapplied.length > 0) {
    lines.push(
      `### Merged to main, not applied yet in \`${environment}\``,
      '',
      'These changes are in main but not live: an apply run may be queued or waiting for approval, or the last one failed or was refused. This is not drift; check the apply workflow.',
      '',
      '| Object | Planned |',
      '|---|---|',
      ...report.unapplied.map((u) => `| ${code(u.address)} | ${u.kind} |`),
      '',
    );
  }
  lines.push(
    `Plan and full log: ${runUrl}`,
    '',
    'This issue is opened, updated and closed by the drift workflow; it closes itself when the environment matches main again.',
  );
  return lines.join('\n');
}
