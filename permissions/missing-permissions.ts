/**
 * Judges a billing stack's resource types against its deploy roles with the permission table: the
 * plan role must allow every read, the apply role every read and write. Returns one line per
 * request a role would be refused, naming resource type, action, resource and role.
 */
import { evaluate, type Identity } from './evaluate';
import type { ArnEnvironment } from './arns';
import { permissionsFor, type PermissionNeed } from './resource-permissions';

export interface StackRoles {
  readonly plan: Identity;
  readonly apply: Identity;
}

function roleName(identity: Identity): string {
  return identity.arn.slice(identity.arn.indexOf(':role/') + ':role/'.length);
}

async function refused(type: string, identity: Identity, needs: readonly PermissionNeed[]): Promise<string[]> {
  const lines: string[] = [];
  for (const need of needs) {
    const decision = await evaluate(identity, need);
    if (decision !== 'Allowed') lines.push(`${type}: ${roleName(identity)} is refused ${need.action} on ${need.resource} (${decision})`);
  }
  return lines;
}

/** Resource types (data sources as `data.<type>`) of a synthesized stack. */
export function resourceTypesOf(json: Readonly<Record<string, unknown>>): string[] {
  const keys = (value: unknown) => (value !== null && typeof value === 'object' ? Object.keys(value) : []);
  return [...keys(json.resource), ...keys(json.data).map((type) => `data.${type}`)].sort();
}

export async function missingPermissions(types: readonly string[], env: ArnEnvironment, roles: StackRoles): Promise<string[]> {
  const lines: string[] = [];
  for (const type of types) {
    const { read, write } = permissionsFor(type, env);
    lines.push(...(await refused(type, roles.plan, read)), ...(await refused(type, roles.apply, [...read, ...write])));
  }
  return lines;
}
