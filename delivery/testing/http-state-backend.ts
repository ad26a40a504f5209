/**
 * A Terraform HTTP state backend with locking, on 127.0.0.1, for tests that run the real Terraform
 * CLI against a backend whose lock can outlive a killed process (the local backend's file lock
 * cannot). Protocol of Terraform's `http` backend
 * (https://developer.hashicorp.com/terraform/language/backend/http): GET/POST/DELETE on the state
 * address; LOCK and UNLOCK on the lock address, 200 on success, 423 with the holder's lock info
 * when the state is already locked. Every request is recorded, so a test can say whether a command
 * took the lock at all.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

/** Terraform's lock info (statemgr.LockInfo) as the backend receives it. */
export interface LockInfo {
  readonly ID: string;
  readonly Operation: string;
  readonly Info: string;
  readonly Who: string;
  readonly Version: string;
  readonly Created: string;
  readonly Path: string;
}

export interface BackendEvent {
  readonly method: string;
  readonly path: string;
  /** LOCK/UNLOCK: the lock id in the request body ('' for a force-unlock without body). */
  readonly lockId?: string;
  readonly status: number;
}

export interface HttpStateBackend {
  readonly address: string;
  readonly events: BackendEvent[];
  /** The lock held now, if any. */
  lock(): LockInfo | undefined;
  /** Holds the lock as another client would (a stale lock or a concurrent apply). */
  holdLock(info: LockInfo): void;
  /**
   * Keeps `file` equal to the lock held (its JSON, or no file when none is held), as the S3 backend
   * keeps `<key>.tflock`, so delivery:lock --lock-file reads the lock the backend really holds.
   */
  mirrorLockTo(file: string): void;
  state(): string | undefined;
  /** The backend block for cdk.tf.json. */
  backendConfig(): Record<string, unknown>;
  close(): Promise<void>;
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function lockIdOf(text: string): string {
  if (text.trim() === '') return '';
  const parsed = JSON.parse(text) as Partial<LockInfo>;
  return parsed.ID ?? '';
}

export async function startHttpStateBackend(): Promise<HttpStateBackend> {
  let state: string | undefined;
  let held: LockInfo | undefined;
  let mirror: string | undefined;
  const events: BackendEvent[] = [];
  const setHeld = (info: LockInfo | undefined): void => {
    held = info;
    if (mirror === undefined) return;
    if (held === undefined) rmSync(mirror, { force: true });
    else writeFileSync(mirror, JSON.stringify(held));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    const text = await body(req);
    const reply = (status: number, payload = '', lockId?: string): void => {
      events.push({ method: req.method ?? '', path, status, ...(lockId !== undefined ? { lockId } : {}) });
      res.writeHead(status, payload ? { 'content-type': 'application/json' } : {});
      res.end(payload);
    };
    if (path === '/state') {
      if (req.method === 'GET') return state === undefined ? reply(404) : reply(200, state);
      if (req.method === 'POST') {
        state = text;
        return reply(200);
      }
      if (req.method === 'DELETE') {
        state = undefined;
        return reply(200);
      }
    }
    if (path === '/lock') {
      const id = lockIdOf(text);
      if (req.method === 'LOCK') {
        if (held !== undefined) return reply(423, JSON.stringify(held), id);
        setHeld(JSON.parse(text) as LockInfo);
        return reply(200, '', id);
      }
      if (req.method === 'UNLOCK') {
        // A force-unlock sends no body; a normal unlock sends the lock info it took.
        if (held !== undefined && id !== '' && id !== held.ID) return reply(409, JSON.stringify(held), id);
        setHeld(undefined);
        return reply(200, '', id);
      }
    }
    reply(405);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    address,
    events,
    lock: () => held,
    holdLock: (info) => setHeld(info),
    mirrorLockTo: (file) => {
      mirror = file;
      setHeld(held);
    },
    state: () => state,
    backendConfig: () => ({
      http: {
        address: `${address}/state`,
        lock_address: `${address}/lock`,
        unlock_address: `${address}/lock`,
        retry_max: 0,
      },
    }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
