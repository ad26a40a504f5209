/**
 * Renders a plan summary as GitHub-flavoured Markdown for a pull-request comment and a job summary.
 *
 * The tables never print an attribute or output value: only addresses, actions and attribute names,
 * with sensitive attributes flagged. Below them, when given, comes Terraform's own text of the plan
 * (`terraform show -no-color tfplan`), which is what a reviewer approves: values as Terraform prints
 * them, every sensitive value replaced by Terraform with "(sensitive value)". Fits a character
 * budget by shortening that text first, then listing fewer rows (destructive ones are kept longest),
 * and links the full log. GitHub rejects a comment body above 65,536 characters
 * ("Body is too long (maximum is 65536 characters)", the API's 422 for issue comments, see e.g.
 * https://github.com/danger/danger/issues/424), so the default budget leaves headroom below that.
 */
import { DESTRUCTIVE_KINDS } from './plan-changes';
import type { OutputChangeSummary, PlanSummary, ResourceChangeKind, ResourceChangeSummary } from './plan-changes';

/** GitHub's limit on an issue/PR comment body, in characters. */
export const GITHUB_COMMENT_MAX_CHARS = 65_536;
/** Default budget: the comment limit less room for anything a workflow appends. */
export const DEFAULT_MAX_CHARS = 60_000;

export interface RenderOptions {
  /** Environment name: titles the comment and forms the hidden marker `<!-- plan:<env> -->`. */
  readonly environment: string;
  /** Link to the workflow run (full log, plan artifact), shown in the footer and when truncated. */
  readonly runUrl?: string;
  /** Commit the plan was made from, shown in the footer. */
  readonly commit?: string;
  readonly maxChars?: number;
  /**
   * `terraform show -no-color <planfile>`: the plan as Terraform prints it, sensitive values masked
   * by Terraform. Shown in a collapsed block, cut to the budget with a note when too long.
   */
  readonly planText?: string;
  /** planDigest of the plan, shown in the footer so an apply can be matched with the plan reviewed. */
  readonly digest?: string;
}

/** The hidden marker by which the workflow finds and updates the one comment per environment. */
export function commentMarker(environment: string): string {
  return `<!-- plan:${environment} -->`;
}

const KIND_LABEL: Record<ResourceChangeKind, string> = {
  create: '🟢 create',
  update: '🟡 update',
  replace: '🔴 replace',
  delete: '🔴 delete',
  read: '🔵 read',
  forget: '⚪ forget',
  'no-op': '⚪ no change',
};

/** A code span that is safe inside a Markdown table cell, whatever the address contains. */
function code(text: string): string {
  const cell = text.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
  const fence = cell.includes('`') ? '``' : '`';
  return `${fence}${fence === '``' ? ' ' : ''}${cell}${fence === '``' ? ' ' : ''}${fence}`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function headline(summary: PlanSummary): string {
  const { create, update, replace, delete: del } = summary.counts;
  if (create + update + replace + del === 0) return 'no resource changes';
  return `${create} to add, ${update} to change, ${replace} to replace, ${del} to destroy`;
}

function attributeList(r: ResourceChangeSummary): string {
  if (r.changedAttributes.length === 0) return '';
  return r.changedAttributes.map((a) => `${code(a.name)}${a.sensitive ? ' 🔒 sensitive' : ''}${a.unknown ? ' (known after apply)' : ''}`).join(', ');
}

function notes(r: ResourceChangeSummary): string {
  const parts: string[] = [];
  if (r.replaceOrder) parts.push(r.replaceOrder);
  if (r.reason) parts.push(r.reason.replace(/_/g, ' '));
  if (r.replacePaths.length > 0) parts.push(`forced by ${r.replacePaths.map(code).join(', ')}`);
  if (r.previousAddress) parts.push(`moved from ${code(r.previousAddress)}`);
  if (r.importing) parts.push('imported');
  if (r.deposed) parts.push(`deposed object ${code(r.deposed)}`);
  return parts.join('; ');
}

function destructiveRow(r: ResourceChangeSummary): string {
  return `| ${KIND_LABEL[r.kind]} | ${code(r.address)} | ${notes(r)} |`;
}

function changeRow(r: ResourceChangeSummary): string {
  const detail = [attributeList(r), notes(r)].filter((s) => s !== '').join('; ');
  return `| ${KIND_LABEL[r.kind]} | ${code(r.address)} | ${detail} |`;
}

function outputRow(o: OutputChangeSummary): string {
  const note = [o.sensitive ? '🔒 sensitive' : '', o.unknown ? 'known after apply' : ''].filter(Boolean).join('; ');
  return `| ${code(o.name)} | ${o.kind} | ${note} |`;
}

interface Row {
  readonly section: 'destructive' | 'changes' | 'outputs';
  readonly text: string;
}

function allRows(summary: PlanSummary): Row[] {
  const destructive = summary.resources.filter((r) => DESTRUCTIVE_KINDS.includes(r.kind));
  const others = summary.resources.filter((r) => !DESTRUCTIVE_KINDS.includes(r.kind));
  return [
    ...destructive.map((r): Row => ({ section: 'destructive', text: destructiveRow(r) })),
    ...others.map((r): Row => ({ section: 'changes', text: changeRow(r) })),
    ...summary.outputs.map((o): Row => ({ section: 'outputs', text: outputRow(o) })),
  ];
}

/** A code fence longer than any run of backticks in the text, so the text cannot close it. */
function fenceFor(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  return '`'.repeat(longest + 1);
}

function planTextBlock(text: string, lines: number, options: RenderOptions): string[] {
  const all = text.replace(/\s+$/, '').split('\n');
  const shown = all.slice(0, lines);
  const fence = fenceFor(shown.join('\n'));
  const out = [
    '<details><summary>Terraform plan (as <code>terraform show</code> prints it; sensitive values masked by Terraform)</summary>',
    '',
    `${fence}text`,
    ...shown,
    fence,
  ];
  if (shown.length < all.length) {
    const where = options.runUrl ? `the [workflow run](${options.runUrl}) (artifact \`plan.txt\`)` : 'the workflow run (artifact `plan.txt`)';
    out.push('', `${plural(all.length - shown.length, 'more line')} of the plan not shown here; the whole text is in ${where}.`);
  }
  out.push('</details>', '');
  return out;
}

function renderWith(summary: PlanSummary, options: RenderOptions, rows: readonly Row[], omitted: number, planTextLines = 0): string {
  const env = options.environment;
  const { create, update, replace, delete: del } = summary.counts;
  const lines: string[] = [commentMarker(env), `### Terraform plan for \`${env}\`: ${headline(summary)}`, ''];
  if (summary.errored) {
    lines.push('> [!CAUTION]', '> Terraform reported errors while planning: this plan is incomplete and cannot be applied.', '');
  }
  if (replace + del > 0) {
    lines.push(
      '> [!WARNING]',
      `> This plan **destroys ${plural(replace + del, 'existing object')}** ` +
        `(${replace} replaced, ${del} deleted). A replacement deletes the old object: its id, data and ` +
        'endpoints do not survive. Read the list below before merging.',
      '',
    );
  }
  const nothing = create + update + replace + del === 0 && summary.resources.length === 0 && summary.outputs.length === 0;
  if (nothing) {
    lines.push('No changes. The live infrastructure matches the configuration.', '');
  } else {
    lines.push('| Create | Update | Replace | Delete |', '|---:|---:|---:|---:|', `| ${create} | ${update} | ${replace} | ${del} |`, '');
  }
  const section = (name: Row['section'], heading: string, header: string[]): void => {
    const selected = rows.filter((r) => r.section === name);
    if (selected.length === 0) return;
    lines.push(heading, '', ...header, ...selected.map((r) => r.text), '');
  };
  section('destructive', '#### ⚠️ Replacements and deletions', ['| Action | Resource | Why |', '|---|---|---|']);
  section('changes', '#### Changes', ['| Action | Resource | Changed attributes |', '|---|---|---|']);
  section('outputs', '#### Outputs', ['| Output | Action | Note |', '|---|---|---|']);
  if (omitted > 0) {
    const where = options.runUrl ? `the [full plan in the workflow run](${options.runUrl})` : 'the full plan in the workflow log';
    lines.push(`> [!NOTE]`, `> ${plural(omitted, 'more row')} not shown to keep this comment within GitHub's size limit; see ${where}.`, '');
  }
  if (summary.driftCount > 0) {
    lines.push(`${plural(summary.driftCount, 'resource')} changed outside Terraform since the last apply (drift); the plan above includes the correction.`, '');
  }
  if (options.planText !== undefined && planTextLines > 0) lines.push(...planTextBlock(options.planText, planTextLines, options));
  const footer = [
    summary.terraformVersion ? `Terraform ${summary.terraformVersion}` : '',
    options.commit ? `commit ${code(options.commit.slice(0, 12))}` : '',
    options.digest ? `plan digest ${code(options.digest.slice(0, 16))}` : '',
    options.runUrl ? `[workflow run](${options.runUrl})` : '',
    options.planText !== undefined
      ? 'tables name attributes only; 🔒 marks sensitive attributes'
      : 'values are never shown here; 🔒 marks sensitive attributes',
  ].filter(Boolean);
  lines.push(`<sub>${footer.join(' · ')}</sub>`);
  return lines.join('\n') + '\n';
}

/** How many leading rows fit in the budget without the plan text; undefined when not even none do. */
function rowsThatFit(summary: PlanSummary, options: RenderOptions, rows: readonly Row[], maxChars: number): number | undefined {
  if (renderWith(summary, options, rows, 0).length <= maxChars) return rows.length;
  if (renderWith(summary, options, [], rows.length).length > maxChars) return undefined;
  // Largest number of leading rows that fits: the length grows with the number of rows kept.
  let lo = 0;
  let hi = rows.length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (renderWith(summary, options, rows.slice(0, mid), rows.length - mid).length <= maxChars) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Renders the summary within `maxChars` characters (JavaScript string length, which is never less
 * than the number of characters GitHub counts). Rows are dropped from the end of the priority order
 * (replacements and deletions, then other changes, then outputs) until the tables fit; the plan
 * text then gets the room that is left, cut by whole lines (left out when no line fits).
 */
export function renderPlanMarkdown(summary: PlanSummary, options: RenderOptions): string {
  const maxChars = options.maxChars ?? DEFAULT_MAX_CHARS;
  const rows = allRows(summary);
  const kept = rowsThatFit(summary, options, rows, maxChars);
  if (kept === undefined) {
    const bare = renderWith(summary, options, [], rows.length);
    throw new RangeError(`a plan comment needs at least ${bare.length} characters; --max-chars ${maxChars} is too small`);
  }
  const shown = rows.slice(0, kept);
  const omitted = rows.length - kept;
  const textLines = options.planText === undefined ? 0 : options.planText.replace(/\s+$/, '').split('\n').length;
  // Most lines of the plan text that fit beside the rows kept: the length grows with the lines.
  let lo = 0;
  let hi = textLines;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (renderWith(summary, options, shown, omitted, mid).length <= maxChars) lo = mid;
    else hi = mid - 1;
  }
  return renderWith(summary, options, shown, omitted, lo);
}
