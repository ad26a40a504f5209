/**
 * The compare-and-swap every SinkLedgerStore keeps (usage-job/sinks/sink.ts), as tests the file,
 * S3 and in-memory stores each run: a write that lost the race rejects with LedgerConflictError
 * and changes nothing.
 */
import { LedgerConflictError, type SinkLedgerStore } from '../sink';

interface Ledger {
  readonly sent: Record<string, number>;
}

export function describeLedgerStoreContract(name: string, store: () => SinkLedgerStore): void {
  describe(`${name}: ledger compare-and-swap`, () => {
    const MONTH = '2026-11';

    it('reads nothing before the first write, then the body and the revision the write returned', async () => {
      const s = store();
      await expect(s.read('alpha', MONTH)).resolves.toBeUndefined();
      const revision = await s.write<Ledger>('alpha', MONTH, { sent: { a: 1 } }, undefined);
      await expect(s.read<Ledger>('alpha', MONTH)).resolves.toEqual({ body: { sent: { a: 1 } }, revision });
    });

    it('refuses a second first write (expected: none) and keeps the first', async () => {
      const s = store();
      const first = await s.write<Ledger>('alpha', MONTH, { sent: { a: 1 } }, undefined);
      await expect(s.write<Ledger>('alpha', MONTH, { sent: { a: 2 } }, undefined)).rejects.toBeInstanceOf(LedgerConflictError);
      await expect(s.read<Ledger>('alpha', MONTH)).resolves.toEqual({ body: { sent: { a: 1 } }, revision: first });
    });

    it('refuses a write from a stale read and keeps the newer ledger', async () => {
      const s = store();
      const r1 = await s.write<Ledger>('alpha', MONTH, { sent: { a: 1 } }, undefined);
      const r2 = await s.write<Ledger>('alpha', MONTH, { sent: { a: 2 } }, r1);
      expect(r2).not.toBe(r1);
      await expect(s.write<Ledger>('alpha', MONTH, { sent: { a: 3 } }, r1)).rejects.toBeInstanceOf(LedgerConflictError);
      await expect(s.read<Ledger>('alpha', MONTH)).resolves.toEqual({ body: { sent: { a: 2 } }, revision: r2 });
    });

    it('keeps each sink and month apart', async () => {
      const s = store();
      await s.write<Ledger>('alpha', MONTH, { sent: { a: 1 } }, undefined);
      await expect(s.read('beta', MONTH)).resolves.toBeUndefined();
      await expect(s.read('alpha', '2026-12')).resolves.toBeUndefined();
      await s.write<Ledger>('beta', MONTH, { sent: { b: 1 } }, undefined);
      await expect(s.read<Ledger>('alpha', MONTH)).resolves.toMatchObject({ body: { sent: { a: 1 } } });
      expect(s.location('alpha', MONTH)).not.toBe(s.location('beta', MONTH));
    });

    it('keeps the parts of a month apart from each other and from the month document', async () => {
      const s = store();
      const whole = await s.write<Ledger>('alpha', MONTH, { sent: { head: 1 } }, undefined);
      const first = await s.write<Ledger>('alpha', MONTH, { sent: { a: 1 } }, undefined, 'shard-000');
      await expect(s.read('alpha', MONTH, 'shard-001')).resolves.toBeUndefined();
      await expect(s.write<Ledger>('alpha', MONTH, { sent: { a: 2 } }, undefined, 'shard-000')).rejects.toBeInstanceOf(LedgerConflictError);
      await s.write<Ledger>('alpha', MONTH, { sent: { a: 3 } }, first, 'shard-000');
      await expect(s.read<Ledger>('alpha', MONTH)).resolves.toEqual({ body: { sent: { head: 1 } }, revision: whole });
      await expect(s.read<Ledger>('alpha', MONTH, 'shard-000')).resolves.toMatchObject({ body: { sent: { a: 3 } } });
      expect(new Set([s.location('alpha', MONTH), s.location('alpha', MONTH, 'shard-000'), s.location('alpha', MONTH, 'shard-001')]).size).toBe(3);
    });

    it('stores the body as it was when write was called, not as changed while the write is under way', async () => {
      const s = store();
      const body = { sent: { a: 1 } as Record<string, number> };
      const write = s.write<Ledger>('alpha', MONTH, body, undefined, 'shard-000');
      body.sent.a = 2;
      body.sent.b = 5;
      await write;
      await expect(s.read<Ledger>('alpha', MONTH, 'shard-000')).resolves.toMatchObject({ body: { sent: { a: 1 } } });
    });

    it('refuses a sink name that could leave its folder, and a month that is not YYYY-MM', async () => {
      const s = store();
      await expect(s.write('../alpha', MONTH, {}, undefined)).rejects.toThrow('sink name "../alpha" must be 1 to 32 lowercase letters');
      await expect(s.read('alpha', '2026-13')).rejects.toThrow('ledger month "2026-13" must be YYYY-MM');
      await expect(s.read('alpha', MONTH, '../beta')).rejects.toThrow('ledger part "../beta" must be 1 to 32 lowercase letters');
    });
  });
}
