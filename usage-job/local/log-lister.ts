/**
 * Lists the log files of partition hours under a local log root laid out like the log bucket (docs/contracts.md, log layout)
 * (AWSLogs/aws-account-id=*\/CloudFront/DistributionId=*\/year=/month=/day=/hour=/*.parquet).
 * A file's version is `<size>-<mtimeMs>`: a rewritten file gets a new one.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { hourPartitionPath } from '../../sql/log-columns';
import { hourStart } from '../../sql/hours';
import type { LogLister, LogObjectVersion } from '../rollup-store';
import type { HourId } from '../types';

function subdirs(dir: string, prefix: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name.startsWith(prefix))
    .map((e) => e.name)
    .sort();
}

export class LocalLogLister implements LogLister {
  constructor(private readonly root: string) {}

  /** The `AWSLogs/aws-account-id=…/CloudFront/DistributionId=…` folders under the root. */
  distributionPrefixes(): string[] {
    const out: string[] = [];
    for (const account of subdirs(join(this.root, 'AWSLogs'), 'aws-account-id=')) {
      for (const dist of subdirs(join(this.root, 'AWSLogs', account, 'CloudFront'), 'DistributionId=')) {
        out.push(`AWSLogs/${account}/CloudFront/${dist}`);
      }
    }
    return out;
  }

  async listHours(hours: readonly HourId[]): Promise<ReadonlyMap<HourId, readonly LogObjectVersion[]>> {
    const prefixes = this.distributionPrefixes();
    const result = new Map<HourId, LogObjectVersion[]>();
    for (const hour of hours) {
      const objects: LogObjectVersion[] = [];
      for (const prefix of prefixes) {
        const rel = `${prefix}/${hourPartitionPath(hourStart(hour))}`;
        const dir = join(this.root, rel);
        if (!existsSync(dir)) continue;
        for (const name of readdirSync(dir).sort()) {
          if (!name.endsWith('.parquet')) continue; // temporary files of an atomic write end in .tmp-…
          const stat = statSync(join(dir, name));
          if (!stat.isFile()) continue;
          objects.push({ key: `${rel}/${name}`, version: `${stat.size}-${Math.trunc(stat.mtimeMs)}`, size: stat.size });
        }
      }
      result.set(hour, objects);
    }
    return result;
  }
}
