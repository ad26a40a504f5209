/**
 * A KeyGateway kept in memory, optionally saved to a JSON file: the local environment's API
 * Gateway (the local API layer authorizes by fingerprint, so no key value is kept) and the unit
 * tests' stand-in. Same idempotency as AwsKeyGateway: deleting a missing key and re-binding succeed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { apiKeyFingerprint } from '../contracts/api-key';
import { writeFileAtomic } from './atomic-file';
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
    const fresh: State = { next: 1, plans: Object.fromEntries(plans.map((p) => [p, `plan-${prefix}-${p}`])), keys: {}, bindings: {}, remaining: {} };
    this.state = file !== undefined && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as State) : fresh;
    for (const [p, id] of Object.entries(fresh.plans)) this.state.plans[p] ??= id;
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
    return new Map(Object.entries(this.state.plans));
  }

  async listKeys(namePrefix: string, includeValues: boolean): Promise<GatewayKey[]> {
    this.count('GetApiKeys');
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
    if (Object.values(this.state.keys).some((k) => k.fingerprint === fingerprint))
      throw Object.assign(new Error('API key already exists'), { name: 'ConflictException' });
    const id = `k${String(this.state.next++).padStart(6, '0')}`;
    this.state.keys[id] = { id, name, enabled: true, description, fingerprint, ...(this.file === undefined ? { value } : {}) };
    this.save();
    return id;
  }

  async deleteKey(id: string): Promise<void> {
    this.count('DeleteApiKey');
    delete this.state.keys[id];
    for (const planId of Object.keys(this.state.bindings)) this.state.bindings[planId] = (this.state.bindings[planId] ?? []).filter((k) => k !== id);
    this.save();
  }

  async enableKey(id: string): Promise<void> {
    this.count('UpdateApiKey');
    const k = this.state.keys[id];
    if (k !== undefined) k.enabled = true;
    this.save();
  }

  async planKeyIds(planId: string): Promise<Set<string>> {
    this.count('GetUsagePlanKeys');
    return new Set(this.state.bindings[planId] ?? []);
  }

  async bind(planId: string, keyId: string): Promise<void> {
    this.count('CreateUsagePlanKey');
    if (this.state.keys[keyId] === undefined) throw Object.assign(new Error(`no API key ${keyId}`), { name: 'NotFoundException' });
    const list = (this.state.bindings[planId] ??= []);
    if (!list.includes(keyId)) list.push(keyId);
    this.save();
  }

  async unbind(planId: string, keyId: string): Promise<void> {
    this.count('DeleteUsagePlanKey');
    this.state.bindings[planId] = (this.state.bindings[planId] ?? []).filter((k) => k !== keyId);
    this.save();
  }

  async remaining(planId: string, keyId: string): Promise<number | undefined> {
    this.count('GetUsage');
    return this.state.remaining[`${planId}/${keyId}`];
  }

  async setRemaining(planId: string, keyId: string, remaining: number): Promise<void> {
    this.count('UpdateUsage');
    this.state.remaining[`${planId}/${keyId}`] = remaining;
    this.save();
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
