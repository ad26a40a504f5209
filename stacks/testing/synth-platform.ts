/**
 * Test helper: builds the whole platform (bootstrap + billing stacks) into a Testing app and
 * returns each stack's synthesized JSON (metadata removed, keys sorted) with typed accessors.
 */
import { rmSync } from 'node:fs';
import { Testing } from 'cdktf';
import type { TerraformStack } from 'cdktf';
import { buildPlatform } from '../app';
import type { PlatformConfig } from '../../config/types';
import type { BackendKind } from '../shared/backend';

export type JsonObject = { [key: string]: unknown };

export interface SynthesizedStack {
  readonly stack: TerraformStack;
  readonly text: string;
  readonly json: JsonObject;
}

export function asObject(value: unknown, what = 'value'): JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${what} is not a JSON object`);
  return value as JsonObject;
}

export function synthPlatform(config: PlatformConfig, backend: BackendKind = 'local'): Map<string, SynthesizedStack> {
  const app = Testing.app();
  buildPlatform(app, config, { backend });
  const out = new Map<string, SynthesizedStack>();
  for (const child of app.node.children) {
    const stack = child as TerraformStack;
    const text = Testing.synth(stack);
    out.set(stack.node.id, { stack, text, json: asObject(JSON.parse(text)) });
  }
  // Testing.app() makes a temporary output directory that nothing reads after an in-memory synth.
  rmSync(app.outdir, { recursive: true, force: true });
  return out;
}

/** Resources of one type, by logical id. */
export function resourcesOf(synth: SynthesizedStack, type: string): Map<string, JsonObject> {
  const all = asObject(synth.json.resource ?? {}, 'resource');
  const ofType = asObject(all[type] ?? {}, type);
  return new Map(Object.entries(ofType).map(([id, body]) => [id, asObject(body, `${type}.${id}`)]));
}

/** The only resource of a type (fails when there are none or several). */
export function onlyResource(synth: SynthesizedStack, type: string): JsonObject {
  const list = [...resourcesOf(synth, type).values()];
  if (list.length !== 1) throw new Error(`expected exactly one ${type}, found ${list.length}`);
  return list[0];
}

/** The Terraform address (type.logical_id) of a resource satisfying `match`. */
export function addressOf(synth: SynthesizedStack, type: string, match: (r: JsonObject) => boolean = () => true): string {
  for (const [id, body] of resourcesOf(synth, type)) if (match(body)) return `${type}.${id}`;
  throw new Error(`no ${type} matches`);
}

export function firstBlock(value: unknown, what: string): JsonObject {
  if (Array.isArray(value)) return asObject(value[0], what);
  return asObject(value, what);
}
