/**
 * Tags on every taggable resource. An aspect (rather than only the provider's default_tags) puts
 * the tags into each resource's own JSON, so a reviewer sees them in the plan and a test can walk
 * the synthesized stack and check that no taggable resource lacks them.
 */
import { Aspects, TerraformResource } from 'cdktf';
import type { IAspect } from 'cdktf';
import type { IConstruct } from 'constructs';

export type Tags = Readonly<Record<string, string>>;

export const TAG_KEYS = { project: 'project', environment: 'environment', managedBy: 'managed-by' } as const;

export function standardTags(project: string, environment: string): Tags {
  return { [TAG_KEYS.project]: project, [TAG_KEYS.environment]: environment, [TAG_KEYS.managedBy]: 'cdktf' };
}

/** A generated provider resource that has a `tags` argument. */
interface Taggable {
  tags: Record<string, string>;
  readonly tagsInput: Record<string, string> | undefined;
}

export function isTaggable(node: IConstruct): node is TerraformResource & Taggable {
  return node instanceof TerraformResource && 'tagsInput' in node && 'tags' in node;
}

class TagAspect implements IAspect {
  constructor(private readonly tags: Tags) {}
  visit(node: IConstruct): void {
    if (isTaggable(node)) node.tags = { ...this.tags, ...(node.tagsInput ?? {}) };
  }
}

/** Applies the tags to every taggable resource under `scope` at synthesis. */
export function tagEverything(scope: IConstruct, tags: Tags): void {
  Aspects.of(scope).add(new TagAspect(tags));
}
