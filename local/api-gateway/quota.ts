/**
 * Monthly usage-plan quotas: the plan's quota is the most requests a key may make in the calendar
 * month (UTC, quota period MONTH); once used up, requests get 429 Limit Exceeded until the month
 * ends (https://repost.aws/knowledge-center/api-gateway-429-limit). Which requests use quota is not
 * documented beyond "requests submitted with the key"; here a request uses one unit when it passed
 * the key and throttle checks and was sent to the integration, whatever the handler answered
 * (throttled or quota-rejected requests use none). Logs-based billing (200-399 only) may therefore
 * be lower than the quota used; the reconciliation metric shows that gap in AWS.
 * The counters are saved in <state>/quota.json, so a restart does not hand out a fresh quota.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../keys/atomic-file';

export const QUOTA_FILE = 'quota.json';

interface QuotaFile {
  readonly month: string;
  readonly used: Record<string, number>;
}

export function utcMonth(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

export class QuotaCounter {
  private month: string;
  private used: Map<string, number>;
  private dirty = false;
  private readonly file: string;

  constructor(
    stateDir: string,
    private readonly now: () => number = Date.now,
  ) {
    this.file = join(stateDir, QUOTA_FILE);
    this.month = utcMonth(now());
    this.used = new Map();
    if (existsSync(this.file)) {
      const saved = readQuotaFile(this.file);
      if (saved.month === this.month) this.used = new Map(Object.entries(saved.used));
    }
  }

  /** Uses one unit of the key's quota; false when the quota of the current month is used up. */
  tryUse(keyId: string, quotaPerMonth: number): boolean {
    const month = utcMonth(this.now());
    if (month !== this.month) {
      this.month = month;
      this.used.clear();
    }
    const used = this.used.get(keyId) ?? 0;
    if (used >= quotaPerMonth) return false;
    this.used.set(keyId, used + 1);
    this.dirty = true;
    return true;
  }

  usedBy(keyId: string): number {
    return this.used.get(keyId) ?? 0;
  }

  /** Writes the counters if they changed since the last save. */
  save(): void {
    if (!this.dirty) return;
    const data: QuotaFile = { month: this.month, used: Object.fromEntries(this.used) };
    writeFileAtomic(this.file, JSON.stringify(data) + '\n');
    this.dirty = false;
  }
}

function readQuotaFile(file: string): QuotaFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file} is not valid JSON (${(error as Error).message}); delete it to start the month's quotas from zero`, { cause: error });
  }
  const q = parsed as Partial<QuotaFile> | null;
  const counts =
    q !== null && typeof q === 'object' && typeof q.month === 'string' && typeof q.used === 'object' && q.used !== null ? Object.values(q.used) : undefined;
  if (counts === undefined || !counts.every((n) => Number.isSafeInteger(n) && n >= 0)) {
    throw new Error(`${file} must hold {"month": "YYYY-MM", "used": {"<key id>": <count>}}; delete it to start the month's quotas from zero`);
  }
  return q as QuotaFile;
}
