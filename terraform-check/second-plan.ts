/**
 * The second plan, right after apply, should be empty: a diff there is a perpetual diff, which a
 * platform team would see on every plan. Each remaining diff must be explained by a listed moto
 * limitation (moto-limitations.ts, `planDiffs`); anything else fails the check, naming the resource
 * and the attribute. Input: `terraform show -json <planfile>`
 * (https://developer.hashicorp.com/terraform/internals/json-format#change-representation).
 */
import { isDeepStrictEqual } from 'node:util';
import { MOTO_LIMITATIONS, type MotoLimitation } from './moto-limitations';
import { isObject, type Json } from './terraform-json';

export interface PlanResourceChange {
  readonly address: string;
  readonly mode: string;
  readonly type: string;
  readonly change: {
    readonly actions: readonly string[];
    readonly before?: Json;
    readonly after?: Json;
    readonly after_unknown?: Json;
    readonly before_sensitive?: Json;
    readonly after_sensitive?: Json;
  };
}

export interface PlanJson {
  readonly resource_changes?: readonly PlanResourceChange[];
}

export interface AttributeDiff {
  /** e.g. default_cache_behavior[0].forwarded_values */
  readonly path: string;
  /** The same with list indices as [*], for matching. */
  readonly pattern: string;
  readonly before: Json | undefined;
  readonly after: Json | undefined;
  readonly unknown: boolean;
  readonly sensitive: boolean;
}

type Segment = string | number;

function render(path: readonly Segment[], wildcard: boolean): string {
  return path.map((s, i) => (typeof s === 'number' ? (wildcard ? '[*]' : `[${s}]`) : i === 0 ? s : `.${s}`)).join('');
}

const absent = (v: Json | undefined): boolean => v === undefined || v === null || (Array.isArray(v) && v.length === 0);

function child(v: Json | undefined, key: Segment): Json | undefined {
  if (typeof key === 'number') return Array.isArray(v) ? v[key] : undefined;
  return isObject(v) ? v[key] : undefined;
}

function marked(v: Json | undefined): boolean {
  return v === true;
}

/** Every attribute path where before and after differ (absent, null and [] count as the same). */
export function attributeDiffs(change: PlanResourceChange['change']): AttributeDiff[] {
  const out: AttributeDiff[] = [];
  const walk = (b: Json | undefined, a: Json | undefined, u: Json | undefined, bs: Json | undefined, as: Json | undefined, path: Segment[]) => {
    const sensitive = marked(bs) || marked(as);
    if (marked(u)) {
      out.push({ path: render(path, false), pattern: render(path, true), before: b, after: undefined, unknown: true, sensitive });
      return;
    }
    if (isObject(b) && isObject(a)) {
      for (const key of new Set([...Object.keys(b), ...Object.keys(a)])) walk(b[key], a[key], child(u, key), child(bs, key), child(as, key), [...path, key]);
      return;
    }
    if (Array.isArray(b) && Array.isArray(a) && b.length === a.length) {
      b.forEach((item, i) => walk(item, a[i], child(u, i), child(bs, i), child(as, i), [...path, i]));
      return;
    }
    if (absent(b) && absent(a)) return;
    if (!isDeepStrictEqual(b, a)) out.push({ path: render(path, false), pattern: render(path, true), before: b, after: a, unknown: false, sensitive });
  };
  walk(change.before, change.after, change.after_unknown, change.before_sensitive, change.after_sensitive, []);
  return out;
}

export interface AttributedDiff {
  readonly address: string;
  readonly path: string;
  readonly limitation: string;
}

export interface SecondPlanResult {
  /** Resources the plan would change in any way. */
  readonly changed: readonly string[];
  readonly attributed: readonly AttributedDiff[];
  /** One line each: the resource, the attribute and the values (sensitive values withheld). */
  readonly unexplained: readonly string[];
}

function show(v: Json | undefined, sensitive: boolean): string {
  if (sensitive) return '(sensitive)';
  const text = v === undefined ? 'absent' : JSON.stringify(v);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

function findLimitation(type: string, diff: AttributeDiff, limitations: readonly MotoLimitation[]): MotoLimitation | undefined {
  return limitations.find((l) =>
    (l.planDiffs ?? []).some(
      (p) =>
        p.resourceType === type &&
        (diff.pattern === p.path || diff.pattern.startsWith(`${p.path}.`) || diff.pattern.startsWith(`${p.path}[`)) &&
        !diff.unknown &&
        p.explains(diff.before, diff.after),
    ),
  );
}

export function attributeSecondPlan(plan: PlanJson, limitations: readonly MotoLimitation[] = MOTO_LIMITATIONS): SecondPlanResult {
  const changed: string[] = [];
  const attributed: AttributedDiff[] = [];
  const unexplained: string[] = [];
  for (const rc of plan.resource_changes ?? []) {
    const actions = rc.change.actions;
    if (actions.length === 1 && (actions[0] === 'no-op' || actions[0] === 'read')) continue;
    changed.push(rc.address);
    if (!(actions.length === 1 && actions[0] === 'update')) {
      unexplained.push(`${rc.address}: would be ${actions.map((a) => `${a}d`).join(' then ')}, not updated in place; no moto limitation explains that`);
      continue;
    }
    const diffs = attributeDiffs(rc.change);
    if (diffs.length === 0) unexplained.push(`${rc.address}: planned update with no attribute difference in the plan's JSON`);
    for (const diff of diffs) {
      const limitation = findLimitation(rc.type, diff, limitations);
      if (limitation !== undefined) {
        attributed.push({ address: rc.address, path: diff.path, limitation: limitation.id });
      } else {
        unexplained.push(
          `${rc.address}: ${diff.path} ${show(diff.before, diff.sensitive)} -> ${diff.unknown ? '(known after apply)' : show(diff.after, diff.sensitive)}: not a listed moto limitation`,
        );
      }
    }
  }
  return { changed, attributed, unexplained };
}
