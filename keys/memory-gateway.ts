/**
 * A KeyGateway kept in memory, optionally saved to a JSON file: the local environment's API
 * Gateway (the local API layer authorizes by fingerprint, so no key value is kept) and the unit
 * tests' stand-in. Same idempotency as AwsKeyGateway: deleting a missing key and re-binding succeed.
 * With a file, every call reads it afresh and every change is made under the file's lock, so two
 * CLIs (each with its own instance) see and keep each other's changes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { apiKeyFingerprint } from '../contracts/api-key';
import { writeFileAtomic } from './atomic-file';
import { withFileLock } from './file-lock';
import { emptyStats, type GatewayKey, type GatewayStats, type KeyGateway } from './api-gateway';

interface StoredKey {
  id: string;
  name: string;
  enabled: boolean;
  description: string;
  fingerprint: string;
  /** Kept only when the gateway is not persisted (tests that import keys need values). */
  value?: string;
}

interface State {
  next: number;
  plans: Record<string, string>;
  keys: Record<string, StoredKey>;
  bindings: Record<string, string[]>;
  remaining: Record<string, number>;
}

export class MemoryKeyGateway implements KeyGateway {
  readonly stats: GatewayStats = emptyStats();
  private state: State;

  constructor(
    prefix: string,
    plans: readonly string[],
    private readonly file?: string,
  ) {
    this.fresh = () => ({ next: 1, plans: Object.fromEntries(plans.map((p) => [p, `plan-${prefix}-${p}`])), keys: {}, bindings: {}, remaining: {} });
    this.state = this.fresh();
    this.load();
  }

  private readonly fresh: () => State;

  /** Re-reads the file (another CLI may have changed it). */
  private load(): void {
    if (this.file === undefined || !existsSync(this.file)) return;
    this.state = JSON.parse(readFileSync(this.file, 'utf8')) as State;
    for (const [p, id] of Object.entries(this.fresh().plans)) this.state.plans[p] ??= id;
  }

  /** Reads, changes and saves the state under the file's lock. */
  private async change<T>(fn: () => T): Promise<T> {
    if (this.file === undefined) return fn();
    return withFileLock(`${this.file}.lock`, () => {
      this.load();
      const out = fn();
      this.save();
      return out;
    });
  }

  private count(op: string): void {
    this.stats.calls++;
    this.stats.byOperation[op] = (this.stats.byOperation[op] ?? 0) + 1;
  }

  private save(): void {
    if (this.file !== undefined) writeFileAtomic(this.file, JSON.stringify(this.state, null, 1) + '\n', 0o600);
  }

  /** Fingerprints of enabled keys bound to some plan, with the plan name (what the local API layer admits). */
  usableFingerprints(): Map<string, string> {
    this.load();
    const out = new Map<string, string>();
    for (const [plan, planId] of Object.entries(this.state.plans)) {
      for (const keyId of this.state.bindings[planId] ?? []) {
        const k = this.state.keys[keyId];
        if (k?.enabled === true) out.set(k.fingerprint, plan);
      }
    }
    return out;
  }

  async usagePlanIds(): Promise<Map<string, string>> {
    this.count('GetUsagePlans');
    this.load();
    return new Map(Object.entries(this.state.plans));
  }

  async listKeys(namePrefix: string, includeValues: boolean): Promise<GatewayKey[]> {
    this.count('GetApiKeys');
    this.load();
    return Object.values(this.state.keys)
      .filter((k) => k.name.startsWith(namePrefix))
      .map((k) => ({
        id: k.id,
        name: k.name,
        enabled: k.enabled,
        description: k.description,
        ...(includeValues && k.value !== undefined ? { value: k.value } : {}),
      }));
  }

  async createKey(name: string, value: string, description: string): Promise<string> {
    this.count('CreateApiKey');
    const fingerprint = apiKeyFingerprint(value);
    return this.change(() => {
      if (Object.values(this.state.keys).some((k) => k.fingerprint === fingerprint))
        throw Object.assign(new Error('API key already exists'), { name: 'ConflictException' });
      const id = `k${String(this.state.next++).padStart(6, '0')}`;
      this.state.keys[id] = { id, name, enabled: true, description, fingerprint, ...(this.file === undefined ? { value } : {}) };
      return id;
    });
  }

  async deleteKey(id: string): Promise<void> {
    this.count('DeleteApiKey');
    await this.change(() => {
      delete this.state.keys[id];
      for (const planId of Object.keys(this.state.bindings)) this.state.bindings[planId] = (this.state.bindings[planId] ?? []).filter((k) => k !== id);
    });
  }

  async enableKey(id: string): Promise<void> {
    this.count('UpdateApiKey');
    await this.change(() => {
      const k = this.state.keys[id];
      if (k !== undefined) k.enabled = true;
    });
  }

  async planKeyIds(planId: string): Promise<Set<string>> {
    this.count('GetUsagePlanKeys');
    this.load();
    return new Set(this.state.bindings[planId] ?? []);
  }

  async bind(planId: string, keyId: string): Promise<void> {
    this.count('CreateUsagePlanKey');
    await this.change(() => {
      if (this.state.keys[keyId] === undefined) throw Object.assign(new Error(`no API key ${keyId}`), { name: 'NotFoundException' });
      const list = (this.state.bindings[planId] ??= []);
      if (!list.includes(keyId)) list.push(keyId);
    });
  }

  async unbind(planId: string, keyId: string): Promise<void> {
    this.count('DeleteUsagePlanKey');
    await this.change(() => {
      this.state.bindings[planId] = (this.state.bindings[planId] ?? []).filter((k) => k !== keyId);
    });
  }

  async remaining(planId: string, keyId: string): Promise<number | undefined> {
    this.count('GetUsage');
    this.load();
    return this.state.remaining[`${planId}/${keyId}`];
  }

  async setRemaining(planId: string, keyId: string, remaining: number): Promise<void> {
    this.count('UpdateUsage');
    await this.change(() => {
      this.state.remaining[`${planId}/${keyId}`] = remaining;
    });
  }

  async importKeys(): Promise<{ ids: string[]; warnings: string[] }> {
    this.count('ImportApiKeys');
    throw Object.assign(new Error('ImportApiKeys is not available on this gateway'), { name: 'NotImplemented' });
  }

  /** Test hook: a key created outside the CLI (e.g. by Terraform), bound to a plan. */
  adoptable(name: string, value: string, description: string, plan: string): string {
    const id = `k${String(this.state.next++).padStart(6, '0')}`;
    this.state.keys[id] = { id, name, enabled: true, description, fingerprint: apiKeyFingerprint(value), value };
    const planId = this.state.plans[plan] as string;
    (this.state.bindings[planId] ??= []).push(id);
    return id;
  }
}
