/**
 * Classifies a parsed plan into what a reviewer needs: one kind per resource change, the names of
 * the attributes that change (never their values), which of them are sensitive, and output changes.
 */
import { createHash } from 'node:crypto';
import type { JsonValue, PlanAction, PlanChange, PlanResourceChange, TerraformPlan } from './plan-json';
import { redactByPath } from './plan-secrets';

export type ResourceChangeKind = 'create' | 'update' | 'replace' | 'delete' | 'read' | 'forget' | 'no-op';

/** Kinds that destroy an existing object: a reviewer must look at these first. */
export const DESTRUCTIVE_KINDS: readonly ResourceChangeKind[] = ['replace', 'delete'];

export interface ChangedAttribute {
  readonly name: string;
  /** Marked sensitive before or after the change: shown by name only, flagged. */
  readonly sensitive: boolean;
  /** Value only known after apply. */
  readonly unknown: boolean;
}

export interface ResourceChangeSummary {
  readonly address: string;
  readonly type: string;
  readonly kind: ResourceChangeKind;
  /** For replacements: whether the new object is created before the old one is destroyed. */
  readonly replaceOrder?: 'destroy-before-create' | 'create-before-destroy';
  /** Terraform's action_reason (for example replace_because_cannot_update), when given. */
  readonly reason?: string;
  /** Top-level attribute names whose value changes (updates and replacements only). */
  readonly changedAttributes: readonly ChangedAttribute[];
  /** Attribute paths that force the replacement, e.g. "name" or "tags.env". */
  readonly replacePaths: readonly string[];
  readonly previousAddress?: string;
  readonly importing: boolean;
  readonly deposed?: string;
}

export interface OutputChangeSummary {
  readonly name: string;
  readonly kind: 'create' | 'update' | 'delete';
  readonly sensitive: boolean;
  readonly unknown: boolean;
}

export interface ChangeCounts {
  readonly create: number;
  readonly update: number;
  readonly replace: number;
  readonly delete: number;
}

export interface PlanSummary {
  readonly terraformVersion?: string;
  readonly counts: ChangeCounts;
  /** Changed resources, destructive ones first, then by address. No-ops and moves-only are left out. */
  readonly resources: readonly ResourceChangeSummary[];
  readonly outputs: readonly OutputChangeSummary[];
  /** Resources that changed outside Terraform since the last apply. */
  readonly driftCount: number;
  readonly errored: boolean;
}

export function kindOf(actions: readonly PlanAction[]): ResourceChangeKind {
  if (actions.length === 2) {
    // ["delete","create"], ["create","delete"] and ["create","forget"] are the replace forms.
    if (actions.includes('create') && (actions.includes('delete') || actions.includes('forget'))) return 'replace';
  }
  if (actions.length === 1) return actions[0];
  throw new Error(`unexpected action combination ${JSON.stringify(actions)}`);
}

/** True when a sensitivity marker (`true`, or an object/list containing `true`) marks something. */
function marksSensitive(marker: JsonValue | undefined): boolean {
  if (marker === true) return true;
  if (Array.isArray(marker)) return marker.some(marksSensitive);
  if (marker !== null && typeof marker === 'object') return Object.values(marker).some(marksSensitive);
  return false;
}

function childOf(value: JsonValue | undefined, key: string): JsonValue | undefined {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value[key];
  return undefined;
}

function deepEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return false;
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  const ao = a as Record<string, JsonValue>;
  const bo = b as Record<string, JsonValue>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const key of keys) if (!deepEqual(ao[key], bo[key])) return false;
  return true;
}

function objectKeys(value: JsonValue | undefined): string[] {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : [];
}

/** Names of the top-level attributes whose value differs between before and after, or is unknown. */
export function changedAttributes(change: PlanChange): ChangedAttribute[] {
  const names = new Set([...objectKeys(change.before), ...objectKeys(change.after), ...objectKeys(change.after_unknown)]);
  const result: ChangedAttribute[] = [];
  for (const name of [...names].sort()) {
    const unknown = marksSensitive(childOf(change.after_unknown, name));
    const before = childOf(change.before, name);
    const after = childOf(change.after, name);
    const sensitive = marksSensitive(childOf(change.before_sensitive, name)) || marksSensitive(childOf(change.after_sensitive, name));
    // A sensitive value may differ only in its hidden content; comparing still works on the raw JSON,
    // and the value itself never leaves this function.
    if (unknown || !deepEqual(before ?? null, after ?? null)) result.push({ name, sensitive, unknown });
  }
  return result;
}

function pathText(path: readonly (string | number)[]): string {
  return path.map((step, i) => (typeof step === 'number' ? `[${step}]` : i === 0 ? step : `.${step}`)).join('');
}

function summarizeResource(rc: PlanResourceChange): ResourceChangeSummary {
  const kind = kindOf(rc.change.actions);
  const showAttributes = kind === 'update' || kind === 'replace';
  return {
    address: rc.address,
    type: rc.type,
    kind,
    replaceOrder: kind === 'replace' ? (rc.change.actions[0] === 'create' ? 'create-before-destroy' : 'destroy-before-create') : undefined,
    reason: rc.action_reason,
    changedAttributes: showAttributes ? changedAttributes(rc.change) : [],
    replacePaths: (rc.change.replace_paths ?? []).map(pathText),
    previousAddress: rc.previous_address,
    importing: rc.change.importing !== undefined && rc.change.importing !== null,
    deposed: rc.deposed,
  };
}

const KIND_ORDER: readonly ResourceChangeKind[] = ['delete', 'replace', 'forget', 'update', 'create', 'read', 'no-op'];

/** A resource is worth listing when it changes, moves or is imported. */
function isListed(s: ResourceChangeSummary): boolean {
  return s.kind !== 'no-op' || s.previousAddress !== undefined || s.importing;
}

export function summarizePlan(plan: TerraformPlan): PlanSummary {
  const all = plan.resource_changes.map(summarizeResource);
  const count = (kind: ResourceChangeKind): number => all.filter((s) => s.kind === kind).length;
  const resources = all.filter(isListed).sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.address.localeCompare(b.address));
  const outputs: OutputChangeSummary[] = Object.entries(plan.output_changes)
    .map(([name, change]) => ({ name, change, kind: kindOf(change.actions) }))
    .filter(
      (o): o is { name: string; change: PlanChange; kind: 'create' | 'update' | 'delete' } => o.kind === 'create' || o.kind === 'update' || o.kind === 'delete',
    )
    .map(({ name, change, kind }) => ({
      name,
      kind,
      sensitive: marksSensitive(change.before_sensitive) || marksSensitive(change.after_sensitive),
      unknown: marksSensitive(change.after_unknown),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return {
    terraformVersion: plan.terraform_version,
    counts: { create: count('create'), update: count('update'), replace: count('replace'), delete: count('delete') },
    resources,
    outputs,
    driftCount: plan.resource_drift.length,
    errored: plan.errored,
  };
}

/** JSON text with object keys sorted at every level, so equal values always give equal text. */
export function canonicalJson(value: JsonValue | undefined): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`);
  return `{${entries.join(',')}}`;
}

/** What the digest hashes in place of a value Terraform marks sensitive. */
export const SENSITIVE_MARKER = '(sensitive value)';

/**
 * `value` with every part that `marker` marks sensitive replaced by SENSITIVE_MARKER. `marker` is a
 * `before_sensitive`/`after_sensitive` tree of Terraform's plan JSON, shaped like the value: `true`
 * marks the whole value below it, an object or list marks its members one by one, anything else
 * (false, null, missing) marks nothing. A sensitive output has the marker `true`.
 * https://developer.hashicorp.com/terraform/internals/json-format ("before_sensitive",
 * "after_sensitive": "a value of true marks the corresponding value sensitive").
 */
export function redactSensitive(value: JsonValue | undefined, marker: JsonValue | undefined): JsonValue | undefined {
  if (value === undefined) return undefined;
  if (marker === true) return SENSITIVE_MARKER;
  if (Array.isArray(value) && Array.isArray(marker)) return value.map((v, i) => redactSensitive(v, marker[i]) ?? null);
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && marker !== null && typeof marker === 'object' && !Array.isArray(marker)) {
    const out: Record<string, JsonValue> = {};
    for (const [key, v] of Object.entries(value)) out[key] = redactSensitive(v, marker[key]) ?? null;
    return out;
  }
  return value;
}

function changeForDigest(change: PlanChange, type?: string): JsonValue {
  // Secrets the provider does not mark (delivery/plan-secret-paths.ts) are left out like marked ones.
  const unmarked = (value: JsonValue | undefined): JsonValue | undefined => (type === undefined ? value : redactByPath(type, value, SENSITIVE_MARKER));
  return {
    actions: [...change.actions],
    before: redactSensitive(unmarked(change.before), change.before_sensitive) ?? null,
    after: redactSensitive(unmarked(change.after), change.after_sensitive) ?? null,
    after_unknown: change.after_unknown ?? null,
    before_sensitive: change.before_sensitive ?? null,
    after_sensitive: change.after_sensitive ?? null,
    replace_paths: (change.replace_paths ?? []).map((path) => [...path]),
    importing: change.importing ? { id: change.importing.id ?? null, unknown: change.importing.unknown ?? null } : null,
  };
}

/**
 * A digest of what the plan will do, as far as a reviewer can see it: every changed resource and
 * output with its actions and its planned values (before, after, unknown and sensitive markers), in
 * canonical JSON, with every value Terraform marks sensitive, and every secret the provider leaves
 * unmarked (delivery/plan-secret-paths.ts), replaced by SENSITIVE_MARKER first.
 * Two plans have the same digest only if applying either would make the same changes with the same
 * non-sensitive values: changing one of those changes the digest. Resources that do not change
 * (no-op, not moved, not imported) are left out, so a refresh of an unrelated computed attribute
 * does not.
 *
 * Sensitive values are left out on purpose:
 * - the digest is published (PR comments, job summaries); a hash over a low-entropy secret would
 *   let anyone test guesses of it offline;
 * - a reviewer never sees them (Terraform prints "(sensitive value)"), so they cannot be part of
 *   what was reviewed;
 * - some change on every plan: the origin secret's seed (data.aws_secretsmanager_random_password,
 *   stacks/billing/edge/origin-secret.ts) is new on each read, so when the secret version is created
 *   or replaced the reviewed plan and the prod job's plan always differ in it, and a digest over it
 *   would refuse that prod apply every time.
 * A change in whether a value is sensitive, or in where a sensitive value is set, still changes the
 * digest (the markers are hashed).
 *
 * The apply workflow compares the digest of the plan a reviewer approved with the plan it applies
 * and applies nothing when they differ.
 */
export function planDigest(plan: TerraformPlan): string {
  return createHash('sha256').update(digestInput(plan)).digest('hex');
}

/** The canonical JSON planDigest hashes (sensitive values already replaced); for tests. */
export function digestInput(plan: TerraformPlan): string {
  const resources = plan.resource_changes
    .filter((rc) => kindOf(rc.change.actions) !== 'no-op' || rc.previous_address !== undefined || (rc.change.importing ?? null) !== null)
    .map((rc) => ({
      key: `${rc.address}\u0000${rc.deposed ?? ''}`,
      value: {
        address: rc.address,
        previous_address: rc.previous_address ?? null,
        deposed: rc.deposed ?? null,
        action_reason: rc.action_reason ?? null,
        change: changeForDigest(rc.change, rc.type),
      } as JsonValue,
    }));
  const outputs = Object.entries(plan.output_changes)
    .filter(([, change]) => kindOf(change.actions) !== 'no-op')
    .map(([name, change]) => ({ key: `output\u0000${name}`, value: { output: name, change: changeForDigest(change) } as JsonValue }));
  const ordered = [...resources, ...outputs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((entry) => entry.value);
  return canonicalJson(ordered);
}
