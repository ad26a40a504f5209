/**
 * Finds every secret a plan or state carries and masks those strings in any text before it is
 * written: Terraform's human plan, the plan log, the comment.
 *
 * Sources, in `terraform show -json` of a plan (https://developer.hashicorp.com/terraform/internals/json-format):
 * `resource_changes` and `resource_drift` (before and after, `forget` and `delete` included: their
 * `before` still holds the values), `prior_state` and `planned_values` (every resource's `values`,
 * with `sensitive_values`), `output_changes`, and input `variables` declared sensitive; of a state
 * (`terraform show -json` without a plan file) the same `values` tree. A string is a secret when
 * Terraform marks it sensitive (`before_sensitive`, `after_sensitive`, `sensitive_values`, a
 * sensitive output) or when its attribute path is in SECRET_ATTRIBUTES, which catches what a
 * provider forgot to mark.
 */
import type { JsonValue } from './plan-json';
import { SECRET_ATTRIBUTES, typesWithSecretId, type PathStep, type SecretAttribute } from './plan-secret-paths';

/** What replaces a secret in text. */
export const SECRET_MASK = '(masked secret)';

/**
 * Terraform-marked strings shorter than this are left to Terraform, which already prints
 * "(sensitive value)" where they stand: replacing a short common string ("dev", "true") everywhere
 * would garble the text without hiding anything. Secrets found by attribute path are masked
 * whatever their length. API Gateway key values have at least 20 characters ("Must be at least 20
 * characters long", https://docs.aws.amazon.com/cdk/api/latest/dotnet/api/Amazon.CDK.AWS.APIGateway.IApiKeyOptions.html);
 * the origin secret has 48.
 */
export const MIN_MARKED_SECRET_LENGTH = 8;

type JsonObject = { [key: string]: JsonValue };

function isObject(value: JsonValue | undefined): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Every string leaf of a value. */
function strings(value: JsonValue | undefined, into: Set<string>): void {
  if (typeof value === 'string') {
    if (value !== '') into.add(value);
  } else if (Array.isArray(value)) for (const v of value) strings(v, into);
  else if (isObject(value)) for (const v of Object.values(value)) strings(v, into);
}

/**
 * Strings of `value` that `marker` (a before_sensitive/after_sensitive/sensitive_values tree)
 * marks, sorted by what the mark covers: a string itself (`marked`), or a whole block or
 * collection (`markedInBlock`). Terraform marks a whole block sensitive when one of its values is
 * (a CloudFront `origin` set holding the origin secret's header), so such a block also carries
 * plain settings ("https-only", the origin's domain).
 */
function markedStrings(value: JsonValue | undefined, marker: JsonValue | undefined, s: Secrets): void {
  if (value === undefined || value === null || marker === undefined || marker === null || marker === false) return;
  if (marker === true) {
    strings(value, typeof value === 'string' ? s.marked : s.markedInBlock);
    return;
  }
  if (Array.isArray(value) && Array.isArray(marker)) value.forEach((v, i) => markedStrings(v, marker[i], s));
  else if (isObject(value) && isObject(marker)) for (const [k, v] of Object.entries(value)) markedStrings(v, marker[k], s);
}

/** Strings of `value` that `marker` leaves unmarked: Terraform prints those in clear. */
function unmarkedStrings(value: JsonValue | undefined, marker: JsonValue | undefined, into: Set<string>): void {
  if (value === undefined || value === null || marker === true) return;
  if (typeof value === 'string') {
    if (value !== '') into.add(value);
  } else if (Array.isArray(value)) value.forEach((v, i) => unmarkedStrings(v, Array.isArray(marker) ? marker[i] : undefined, into));
  else if (isObject(value)) for (const [k, v] of Object.entries(value)) unmarkedStrings(v, isObject(marker) ? marker[k] : undefined, into);
}

function stepMatches(step: PathStep, value: JsonValue): JsonValue[] {
  if (typeof step === 'string' && step !== '*') return isObject(value) && step in value ? [value[step]] : [];
  if (step === '*') return Array.isArray(value) ? value : isObject(value) ? Object.values(value) : [];
  if (!Array.isArray(value)) return [];
  return value.filter((v) => isObject(v) && typeof v[step.where] === 'string' && (v[step.where] as string).toLowerCase() === step.equals.toLowerCase());
}

/** The values at `path` inside `value`. */
function valuesAt(value: JsonValue, path: readonly PathStep[]): JsonValue[] {
  let current: JsonValue[] = [value];
  for (const step of path) current = current.flatMap((v) => stepMatches(step, v));
  return current;
}

/** Strings that SECRET_ATTRIBUTES names inside a resource value of `type`. */
function tableStrings(type: string, value: JsonValue | undefined, table: readonly SecretAttribute[], into: Set<string>): void {
  if (value === undefined || value === null) return;
  for (const entry of table) if (entry.type === type) for (const v of valuesAt(value, entry.path)) strings(v, into);
}

/** The secrets of one document, split by how they were found (the masking rules differ). */
export interface Secrets {
  /** Found by attribute path (SECRET_ATTRIBUTES): masked whatever their length. */
  readonly byPath: Set<string>;
  /** Marked sensitive by Terraform, string by string. */
  readonly marked: Set<string>;
  /**
   * Inside a block or collection Terraform marks sensitive as a whole: masked unless the same
   * string also stands unmarked somewhere in the document (`plain`), which Terraform prints in
   * clear anyway. The secret that made the block sensitive is found by path or by its own mark.
   */
  readonly markedInBlock: Set<string>;
  /** Strings standing unmarked in a resource or output value. */
  readonly plain: Set<string>;
}

export function emptySecrets(): Secrets {
  return { byPath: new Set(), marked: new Set(), markedInBlock: new Set(), plain: new Set() };
}

function collectChange(type: string | undefined, change: JsonValue | undefined, table: readonly SecretAttribute[], s: Secrets): void {
  if (!isObject(change)) return;
  for (const [value, marker] of [
    [change.before, change.before_sensitive],
    [change.after, change.after_sensitive],
  ] as const) {
    markedStrings(value, marker, s);
    unmarkedStrings(value, marker, s.plain);
    if (type !== undefined) tableStrings(type, value, table, s.byPath);
  }
}

function collectModule(module: JsonValue | undefined, table: readonly SecretAttribute[], s: Secrets): void {
  if (!isObject(module)) return;
  for (const resource of Array.isArray(module.resources) ? module.resources : []) {
    if (!isObject(resource) || typeof resource.type !== 'string') continue;
    markedStrings(resource.values, resource.sensitive_values, s);
    unmarkedStrings(resource.values, resource.sensitive_values, s.plain);
    tableStrings(resource.type, resource.values, table, s.byPath);
  }
  for (const child of Array.isArray(module.child_modules) ? module.child_modules : []) collectModule(child, table, s);
}

/** A `values` tree (prior_state.values, planned_values, a state's values): resources and outputs. */
function collectValues(values: JsonValue | undefined, table: readonly SecretAttribute[], s: Secrets): void {
  if (!isObject(values)) return;
  collectModule(values.root_module, table, s);
  if (isObject(values.outputs)) {
    for (const output of Object.values(values.outputs)) if (isObject(output) && output.sensitive === true) strings(output.value, s.marked);
  }
}

/**
 * Every secret of a `terraform show -json` document, a plan or a state. Unknown shapes add
 * nothing; the caller decides whether an empty result is acceptable.
 */
export function collectSecrets(doc: JsonValue, table: readonly SecretAttribute[] = SECRET_ATTRIBUTES, into: Secrets = emptySecrets()): Secrets {
  if (!isObject(doc)) return into;
  for (const field of ['resource_changes', 'resource_drift']) {
    const list = doc[field];
    for (const rc of Array.isArray(list) ? list : []) {
      if (isObject(rc)) collectChange(typeof rc.type === 'string' ? rc.type : undefined, rc.change, table, into);
    }
  }
  if (isObject(doc.output_changes)) for (const change of Object.values(doc.output_changes)) collectChange(undefined, change, table, into);
  if (isObject(doc.prior_state)) collectValues(doc.prior_state.values, table, into);
  collectValues(doc.planned_values, table, into);
  collectValues(doc.values, table, into);
  // Input variables are in the plan in clear text; only the configuration says which are sensitive.
  const declared = isObject(doc.configuration) && isObject(doc.configuration.root_module) ? doc.configuration.root_module.variables : undefined;
  if (isObject(doc.variables) && isObject(declared)) {
    for (const [name, variable] of Object.entries(doc.variables)) {
      const declaration = declared[name];
      if (isObject(declaration) && declaration.sensitive === true && isObject(variable)) strings(variable.value, into.marked);
    }
  }
  return into;
}

/**
 * The texts to look for in place of one secret: the secret; its JSON-escaped form (Terraform's
 * plan text and JSON escape quotes and backslashes); each line of a multi-line secret (the plan
 * text prints those as heredocs, indented); and the string leaves of a secret that is JSON
 * (Terraform prints those as `jsonencode({...})`, one member per line).
 */
function forms(secret: string): string[] {
  const out = new Set<string>([secret]);
  out.add(JSON.stringify(secret).slice(1, -1));
  if (secret.includes('\n')) for (const line of secret.split(/\r?\n/)) if (line.trim().length >= MIN_MARKED_SECRET_LENGTH) out.add(line.trim());
  if (/^\s*[[{]/.test(secret)) {
    try {
      const inner = new Set<string>();
      strings(JSON.parse(secret) as JsonValue, inner);
      for (const s of inner) if (s.length >= MIN_MARKED_SECRET_LENGTH) out.add(s);
    } catch {
      // not JSON: the whole string is enough
    }
  }
  return [...out].filter((s) => s !== '');
}

/** The strings to mask, longest first so that a secret containing another is masked whole. */
export function maskList(secrets: Secrets): string[] {
  const all = new Set<string>();
  for (const s of secrets.byPath) for (const f of forms(s)) all.add(f);
  const marked = [...secrets.marked, ...[...secrets.markedInBlock].filter((s) => !secrets.plain.has(s) || secrets.marked.has(s))];
  for (const s of marked) if (s.length >= MIN_MARKED_SECRET_LENGTH) for (const f of forms(s)) if (f.length >= MIN_MARKED_SECRET_LENGTH) all.add(f);
  return [...all].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Lines of `terraform plan` that print the id of a type whose id is a secret, such as
 * `data.aws_secretsmanager_random_password.seed: Read complete after 0s [id=<password>]`. Masked
 * by line, because a value read during this plan may be in no document yet (a failed plan).
 */
function secretIdLines(table: readonly SecretAttribute[]): RegExp | undefined {
  const types = typesWithSecretId(table);
  if (types.length === 0) return undefined;
  return new RegExp(`((?:^|\\s)(?:module\\.\\S+?\\.)?(?:data\\.)?(?:${types.map(escapeRegExp).join('|')})\\.[^\\s:]+: [^\\n]*?\\[id=)([^\\]\\n]+)(\\])`, 'gm');
}

/**
 * A function that returns a text with every secret replaced by SECRET_MASK, built once for a stream
 * of lines. An id found on a secret-id line is a secret from then on, in this text and in every
 * later one: Terraform repeats a provisioner's or a provider's output in an error message,
 * re-wrapped so that the id no longer follows its resource's address on the same line.
 */
export function textMasker(secrets: Secrets, table: readonly SecretAttribute[] = SECRET_ATTRIBUTES): (text: string) => string {
  let list = maskList(secrets);
  const idLines = secretIdLines(table);
  return (text) => {
    if (idLines !== undefined) {
      const ids = [...text.matchAll(idLines)].map((m) => m[2]).filter((id) => id.length >= MIN_MARKED_SECRET_LENGTH && !list.includes(id));
      if (ids.length > 0) list = [...list, ...ids].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
    }
    let out = text;
    for (const secret of list) if (out.includes(secret)) out = out.split(secret).join(SECRET_MASK);
    return idLines === undefined ? out : out.replace(idLines, (_m, head: string, _id: string, tail: string) => `${head}${SECRET_MASK}${tail}`);
  };
}

/** `text` with every secret replaced by SECRET_MASK. */
export function maskText(text: string, secrets: Secrets, table: readonly SecretAttribute[] = SECRET_ATTRIBUTES): string {
  return textMasker(secrets, table)(text);
}

/**
 * A copy of `value` (a resource's before or after) with every string SECRET_ATTRIBUTES names
 * replaced by `replacement`, for the plan digest.
 */
export function redactByPath(
  type: string,
  value: JsonValue | undefined,
  replacement: string,
  table: readonly SecretAttribute[] = SECRET_ATTRIBUTES,
): JsonValue | undefined {
  if (value === undefined || value === null) return value;
  const paths = table.filter((e) => e.type === type).map((e) => e.path);
  if (paths.length === 0) return value;
  const redact = (v: JsonValue, rest: readonly (readonly PathStep[])[]): JsonValue => {
    if (rest.some((p) => p.length === 0)) return typeof v === 'string' ? replacement : redactAll(v);
    if (Array.isArray(v)) {
      return v.map((el) => {
        const next = rest.filter((p) => p[0] === '*' || (typeof p[0] === 'object' && stepMatches(p[0], [el]).length > 0)).map((p) => p.slice(1));
        return next.length === 0 ? el : redact(el, next);
      });
    }
    if (isObject(v)) {
      const out: JsonObject = {};
      for (const [k, child] of Object.entries(v)) {
        const next = rest.filter((p) => p[0] === '*' || p[0] === k).map((p) => p.slice(1));
        out[k] = next.length === 0 ? child : redact(child, next);
      }
      return out;
    }
    return v;
  };
  const redactAll = (v: JsonValue): JsonValue => {
    if (typeof v === 'string') return replacement;
    if (Array.isArray(v)) return v.map(redactAll);
    if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, c]) => [k, redactAll(c)]));
    return v;
  };
  return redact(value, paths);
}
