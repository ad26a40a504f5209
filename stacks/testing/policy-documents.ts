/**
 * Finds every IAM policy document in synthesized stacks: JSON strings in `policy` and
 * `assume_role_policy` arguments (roles, inline policies, bucket and topic policies).
 */
import type { JsonObject, SynthesizedStack } from './synth-platform';
import { asObject } from './synth-platform';

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: string | string[];
  readonly NotResource?: string | string[];
  readonly Principal?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

export interface FoundPolicy {
  /** stack / resource address / argument, for error messages. */
  readonly where: string;
  readonly kind: 'identity' | 'trust' | 'resource';
  readonly statements: PolicyStatement[];
}

const POLICY_ARGUMENTS: Record<string, FoundPolicy['kind']> = {
  policy: 'identity',
  assume_role_policy: 'trust',
};

export function asList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export function findPolicies(stackName: string, synth: SynthesizedStack): FoundPolicy[] {
  const found: FoundPolicy[] = [];
  const resources = asObject(synth.json.resource ?? {}, 'resource');
  for (const [type, byId] of Object.entries(resources)) {
    for (const [id, body] of Object.entries(asObject(byId, type))) {
      for (const [argument, kind] of Object.entries(POLICY_ARGUMENTS)) {
        const text = (body as JsonObject)[argument];
        if (typeof text !== 'string') continue;
        const where = `${stackName}/${type}.${id}.${argument}`;
        let doc: { Statement?: PolicyStatement | PolicyStatement[] };
        try {
          doc = JSON.parse(text) as typeof doc;
        } catch {
          throw new Error(`${where} is not a JSON policy document`);
        }
        const statements = doc.Statement === undefined ? [] : Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
        const resourcePolicy = type.endsWith('_bucket_policy') || type.endsWith('_topic_policy');
        found.push({ where, kind: resourcePolicy ? 'resource' : kind, statements });
      }
    }
  }
  return found;
}
