/**
 * The applied state as `terraform show -json` prints it
 * (https://developer.hashicorp.com/terraform/internals/json-format#state-representation), and a
 * resolver that turns the configuration's `${<type>.<name>.<attribute>}` references into the values
 * Terraform recorded, so a configured document (a policy naming a role's ARN) can be compared with
 * what AWS returns.
 */
import { isObject, type Json, type JsonObject } from './terraform-json';

export interface StateResource {
  readonly address: string;
  readonly mode: string;
  readonly type: string;
  readonly name: string;
  readonly values: JsonObject;
}

export function stateResources(showJson: unknown): StateResource[] {
  const root = (showJson as { values?: { root_module?: { resources?: StateResource[] } } }).values?.root_module?.resources;
  return Array.isArray(root) ? root : [];
}

export function managedResources(showJson: unknown): StateResource[] {
  return stateResources(showJson).filter((r) => r.mode === 'managed');
}

/** The refreshed state a saved plan was made from (`prior_state` of `terraform show -json <plan>`). */
export function priorStateResources(planJson: unknown): StateResource[] {
  return managedResources((planJson as { prior_state?: unknown }).prior_state ?? {});
}

export class StateIndex {
  private readonly byAddress = new Map<string, JsonObject>();

  constructor(resources: readonly StateResource[]) {
    for (const r of resources) this.byAddress.set(r.address, r.values);
  }

  values(address: string): JsonObject {
    const found = this.byAddress.get(address);
    if (found === undefined) throw new Error(`no ${address} in the state`);
    return found;
  }

  /** A string attribute of a resource in the state. */
  attribute(address: string, name: string): string {
    const value: Json | undefined = this.values(address)[name];
    if (typeof value !== 'string') throw new Error(`${address}.${name} is not a string in the state`);
    return value;
  }

  /** Replaces every `${type.name.attr}` with the recorded value; other interpolations are left as they are. */
  resolve(text: string): string {
    return text.replace(/\$\{((?:data\.)?[a-z0-9_]+\.[A-Za-z0-9_-]+)\.([a-z0-9_]+)\}/g, (whole, address: string, attr: string) => {
      const values = this.byAddress.get(address);
      const value = values === undefined ? undefined : values[attr];
      return typeof value === 'string' || typeof value === 'number' ? String(value) : whole;
    });
  }

  resolveJson(value: Json | undefined): Json | undefined {
    if (typeof value === 'string') return this.resolve(value);
    if (Array.isArray(value)) return value.map((v) => this.resolveJson(v) ?? null);
    if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolveJson(v) ?? null]));
    return value;
  }
}
