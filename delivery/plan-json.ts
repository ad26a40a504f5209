/**
 * The subset of Terraform's machine-readable plan (`terraform show -json <planfile>`) that the
 * plan renderer reads, and a parser that rejects anything else with a message saying what to run.
 *
 * Format: https://developer.hashicorp.com/terraform/internals/json-format (format_version "1.x";
 * a new minor version only adds properties, a new major version must be rejected). Field names
 * checked against that page and against Terraform's own encoder (internal/command/jsonplan/plan.go):
 * `resource_changes[].change.actions`, `before_sensitive`, `after_sensitive`, `after_unknown`,
 * `replace_paths`, `action_reason`, `importing`, and `output_changes` as a map of name to a change
 * object (the encoder writes the change directly, not wrapped in `{ "change": ... }`).
 * OpenTofu writes the same format for the same `show -json`.
 */

/** Every action Terraform 1.x can list in `change.actions`. */
export const KNOWN_ACTIONS = ['no-op', 'create', 'read', 'update', 'delete', 'forget'] as const;
export type PlanAction = (typeof KNOWN_ACTIONS)[number];

/** A JSON value as `JSON.parse` returns it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface PlanChange {
  readonly actions: readonly PlanAction[];
  readonly before?: JsonValue;
  readonly after?: JsonValue;
  readonly after_unknown?: JsonValue;
  readonly before_sensitive?: JsonValue;
  readonly after_sensitive?: JsonValue;
  readonly replace_paths?: readonly (readonly (string | number)[])[];
  readonly importing?: { readonly id?: string; readonly unknown?: boolean };
}

export interface PlanResourceChange {
  readonly address: string;
  readonly previous_address?: string;
  readonly module_address?: string;
  readonly mode: string;
  readonly type: string;
  readonly name: string;
  readonly deposed?: string;
  readonly change: PlanChange;
  readonly action_reason?: string;
}

export interface TerraformPlan {
  readonly format_version: string;
  readonly terraform_version?: string;
  readonly resource_changes: readonly PlanResourceChange[];
  readonly resource_drift: readonly PlanResourceChange[];
  readonly output_changes: Readonly<Record<string, PlanChange>>;
  readonly errored: boolean;
}

export class PlanFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanFormatError';
  }
}

const HOW_TO = 'produce it with: terraform show -json <planfile> > plan.json';

function isObject(value: unknown): value is Record<string, JsonValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseChange(raw: unknown, where: string): PlanChange {
  if (!isObject(raw)) throw new PlanFormatError(`${where} must be an object with an "actions" list`);
  const actions = raw.actions;
  if (!Array.isArray(actions) || actions.length === 0) {
    throw new PlanFormatError(`${where}.actions must be a non-empty list such as ["update"]`);
  }
  for (const action of actions) {
    if (typeof action !== 'string' || !(KNOWN_ACTIONS as readonly string[]).includes(action)) {
      throw new PlanFormatError(`${where}.actions contains ${JSON.stringify(action)}; known actions are ${KNOWN_ACTIONS.join(', ')}`);
    }
  }
  const replacePaths = raw.replace_paths;
  if (replacePaths !== undefined && !Array.isArray(replacePaths)) {
    throw new PlanFormatError(`${where}.replace_paths must be a list of attribute paths`);
  }
  return raw as unknown as PlanChange;
}

function parseResourceChanges(raw: unknown, field: string): PlanResourceChange[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new PlanFormatError(`${field} must be a list`);
  return raw.map((entry: unknown, i) => {
    const where = `${field}[${i}]`;
    if (!isObject(entry)) throw new PlanFormatError(`${where} must be an object`);
    if (typeof entry.address !== 'string' || entry.address === '') {
      throw new PlanFormatError(`${where}.address must be a non-empty string`);
    }
    if (typeof entry.type !== 'string') throw new PlanFormatError(`${where} (${entry.address}) has no "type"`);
    parseChange(entry.change, `${where}.change (${entry.address})`);
    return entry as unknown as PlanResourceChange;
  });
}

/** Parses and checks `terraform show -json <planfile>` output; throws PlanFormatError on anything else. */
export function parsePlanJson(text: string): TerraformPlan {
  if (text.trim() === '') throw new PlanFormatError(`the plan JSON is empty; ${HOW_TO}`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const head = text.trimStart().slice(0, 40).replace(/\s+/g, ' ');
    throw new PlanFormatError(
      `the input is not JSON (${(error as Error).message}; it starts with "${head}"). ` +
        `A binary plan file or the human-readable plan cannot be rendered; ${HOW_TO}`,
    );
  }
  if (!isObject(raw)) throw new PlanFormatError(`the plan JSON must be an object; ${HOW_TO}`);
  const version = raw.format_version;
  if (typeof version !== 'string') {
    throw new PlanFormatError(`the JSON has no "format_version", so it is not Terraform's plan format; ${HOW_TO}`);
  }
  if (!/^1\.\d+$/.test(version)) {
    throw new PlanFormatError(
      `unsupported format_version "${version}": this renderer reads format 1.x ` +
        '(Terraform >= 1.0 or OpenTofu); a new major version may change meanings, so it is refused',
    );
  }
  if (!('planned_values' in raw) && !('resource_changes' in raw) && 'values' in raw) {
    throw new PlanFormatError(`this is a state, not a plan (it has "values" but no "resource_changes"); ${HOW_TO}`);
  }
  const outputs = raw.output_changes ?? {};
  if (!isObject(outputs)) throw new PlanFormatError('output_changes must be an object keyed by output name');
  const outputChanges: Record<string, PlanChange> = {};
  for (const [name, change] of Object.entries(outputs)) {
    outputChanges[name] = parseChange(change, `output_changes.${name}`);
  }
  return {
    format_version: version,
    terraform_version: typeof raw.terraform_version === 'string' ? raw.terraform_version : undefined,
    resource_changes: parseResourceChanges(raw.resource_changes, 'resource_changes'),
    resource_drift: parseResourceChanges(raw.resource_drift, 'resource_drift'),
    output_changes: outputChanges,
    errored: raw.errored === true,
  };
}
