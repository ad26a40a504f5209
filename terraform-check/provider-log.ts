/**
 * Reads the AWS calls out of a provider debug log (TF_LOG_PROVIDER=DEBUG). Provider 5.x logs every
 * AWS SDK for Go v2 request as one "HTTP Request Sent" record with rpc.service, rpc.method,
 * http.method, http.url, aws.region and the body (hashicorp/terraform-provider-aws#33936, logged by
 * aws-sdk-go-base's logging/tf_logger.go). A record starts with a timestamp line; a multi-line
 * value (the body) follows as lines prefixed "  | ", and further key=value pairs on the next line.
 */
import type { RecordedCall } from '../permissions/recorded-call';

const RECORD_START = /^\d{4}-\d{2}-\d{2}T[\d:.]+[Z+-][\d:]*\s+\[[A-Z]+\]\s/;
const PAIR = /([A-Za-z_@][\w.@]*)=("(?:[^"\\]|\\.)*"|\[[^\]]*\]|\S*)/g;

function records(text: string): string[][] {
  const out: string[][] = [];
  for (const line of text.split('\n')) {
    if (RECORD_START.test(line)) out.push([line]);
    else if (out.length > 0) out[out.length - 1].push(line);
  }
  return out;
}

function unquote(value: string): string {
  if (!value.startsWith('"')) return value;
  try {
    return JSON.parse(value) as string;
  } catch {
    return value.slice(1, -1);
  }
}

export class ProviderLogError extends Error {}

/** Every request of the log, in order. A request record that lacks service, operation or URL is an error naming its line. */
export function callsFromProviderLog(text: string, source: string): RecordedCall[] {
  const calls: RecordedCall[] = [];
  for (const record of records(text)) {
    const head = record[0];
    const at = head.indexOf(': HTTP Request Sent:');
    if (at < 0) continue;
    const pairs = new Map<string, string>();
    const bodyLines: string[] = [];
    const scan = (chunk: string) => {
      for (const m of chunk.matchAll(PAIR)) pairs.set(m[1], unquote(m[2]));
    };
    scan(head.slice(at + ': HTTP Request Sent:'.length));
    let inBody = false;
    for (const line of record.slice(1)) {
      if (line.startsWith('  | ') || line === '  |') {
        if (inBody) bodyLines.push(line.slice(4));
        continue;
      }
      inBody = false;
      const bodyStart = line.indexOf('http.request.body=');
      if (bodyStart >= 0 && line.slice(bodyStart + 'http.request.body='.length).trim() === '') {
        scan(line.slice(0, bodyStart));
        inBody = true;
        continue;
      }
      scan(line);
    }
    const service = pairs.get('rpc.service');
    const operation = pairs.get('rpc.method');
    const url = pairs.get('http.url');
    if (service === undefined || operation === undefined || url === undefined) {
      throw new ProviderLogError(`${source}: an "HTTP Request Sent" record without rpc.service, rpc.method or http.url: ${head.slice(0, 200)}`);
    }
    const resourceType = pairs.get('tf_resource_type') ?? pairs.get('tf_data_source_type');
    calls.push({
      service,
      operation,
      httpMethod: pairs.get('http.method') ?? 'POST',
      url,
      body: bodyLines.length > 0 ? bodyLines.join('\n') : (pairs.get('http.request.body') ?? ''),
      region: pairs.get('aws.region') ?? '',
      ...(resourceType !== undefined ? { resourceType } : {}),
    });
  }
  return calls;
}
