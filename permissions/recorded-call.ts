/**
 * One AWS API call as the engine check records it: from the AWS provider's debug log (Terraform)
 * or from the AWS SDK middleware of the usage job. The service is the SDK's service id (the
 * `rpc.service` of the provider's log, the `serviceId` of a JavaScript SDK client; both are the
 * Smithy model's sdkId, e.g. "API Gateway", "CloudWatch Logs"), the operation its API name.
 */
export interface RecordedCall {
  readonly service: string;
  readonly operation: string;
  readonly httpMethod: string;
  /** The request URL (path and query string matter; the host is the local moto server). */
  readonly url: string;
  /** The request body as sent (JSON, form-encoded query protocol, XML or empty). */
  readonly body: string;
  readonly region: string;
  /** Request headers that set condition keys (lower-case names), e.g. if-none-match; recorded by the SDK middleware only. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The Terraform resource type the call was made for, when the log names one. */
  readonly resourceType?: string;
}

/** Request parameters of a call, whatever its protocol: JSON body, form-encoded body, URL query. */
export class CallParams {
  private readonly json: Record<string, unknown>;
  private readonly form: URLSearchParams;
  /** The provider's log cuts long bodies ("[truncated...]"); parameters are then read from the prefix. */
  readonly truncated: boolean;
  private readonly raw: string;
  readonly path: string;
  readonly query: URLSearchParams;

  constructor(readonly call: RecordedCall) {
    const url = new URL(call.url, 'http://localhost');
    this.path = decodeURIComponent(url.pathname);
    this.query = url.searchParams;
    let json: Record<string, unknown> = {};
    this.truncated = call.body.includes('[truncated...]');
    const body = call.body.replace('[truncated...]', '').trim();
    this.raw = body;
    if (body.startsWith('{')) {
      try {
        json = JSON.parse(body) as Record<string, unknown>;
      } catch {
        json = {};
      }
    }
    this.json = json;
    this.form = body.startsWith('{') || body.startsWith('<') ? new URLSearchParams() : new URLSearchParams(body);
  }

  /** A top-level request parameter by name (JSON body, form body, then URL query); undefined when absent. */
  param(...names: string[]): string | undefined {
    for (const name of names) {
      const value = this.json[name] ?? this.form.get(name) ?? this.query.get(name) ?? undefined;
      if (typeof value === 'string') return value;
      if (typeof value === 'number') return String(value);
      if (this.truncated) {
        const m = new RegExp(`^\\{(?:"[^"]*":(?:"(?:[^"\\\\]|\\\\.)*"|[^,{}\\[\\]]*|\\[[^\\[\\]]*\\]|\\{[^{}]*\\}),)*?"${name}":"((?:[^"\\\\]|\\\\.)*)"`).exec(
          this.raw,
        );
        if (m) return JSON.parse(`"${m[1]}"`) as string;
      }
    }
    return undefined;
  }

  /** A nested JSON parameter, e.g. at('DatabaseInput', 'Name'). */
  at(...path: string[]): string | undefined {
    let value: unknown = this.json;
    for (const key of path) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    if (typeof value === 'string') return value;
    if (this.truncated && path.length === 2) {
      // {"Outer":{ ...flat members... "Inner":"value"
      const m = new RegExp(`"${path[0]}":\\{(?:"[^"]*":"(?:[^"\\\\]|\\\\.)*",)*?"${path[1]}":"((?:[^"\\\\]|\\\\.)*)"`).exec(this.raw);
      if (m) return JSON.parse(`"${m[1]}"`) as string;
    }
    return undefined;
  }

  /** The JSON array parameter's objects (e.g. PutEvents Entries). */
  objects(name: string): Record<string, unknown>[] {
    const value = this.json[name];
    return Array.isArray(value) ? value.filter((v): v is Record<string, unknown> => v !== null && typeof v === 'object') : [];
  }

  /** A list parameter of the query protocol (Name.member.1, Name.member.2 ...) or a JSON array. */
  list(name: string): string[] {
    const fromJson = this.json[name];
    if (Array.isArray(fromJson)) return fromJson.filter((v): v is string => typeof v === 'string');
    const out: string[] = [];
    for (let i = 1; this.form.has(`${name}.member.${i}`); i++) out.push(this.form.get(`${name}.member.${i}`) ?? '');
    return out;
  }

  /**
   * The keys of the tags the request sends (query protocol Tags.member.N.Key, or a JSON Tags list
   * or map); empty when there are none or when a cut body lost them (see `truncated`).
   */
  tagKeys(): string[] {
    const keys = new Set<string>();
    for (const [k, v] of this.form.entries()) if (/^Tags\.member\.\d+\.Key$/.test(k)) keys.add(v);
    const tags = this.json.Tags ?? this.json.tags;
    if (Array.isArray(tags))
      for (const t of tags) if (t !== null && typeof t === 'object' && typeof (t as { Key?: unknown }).Key === 'string') keys.add((t as { Key: string }).Key);
    if (tags !== null && typeof tags === 'object' && !Array.isArray(tags)) for (const k of Object.keys(tags)) keys.add(k);
    return [...keys].sort();
  }

  /** True when the request carries tags (tag-on-create is authorized as the service's TagResource too). */
  hasTags(): boolean {
    // A cut body may have lost its Tags; the stacks tag every resource they can (stacks/shared/tags.ts),
    // so a truncated create is judged as a tagged one (the stricter reading).
    if (this.truncated) return true;
    const tags = this.json.Tags ?? this.json.tags;
    if (tags !== undefined && tags !== null && (Array.isArray(tags) ? tags.length > 0 : Object.keys(tags).length > 0)) return true;
    if ([...this.form.keys()].some((k) => /^Tags\.member\.1\./.test(k))) return true;
    return /<Tags>\s*<Items>\s*<Tag>/.test(this.call.body);
  }
}
