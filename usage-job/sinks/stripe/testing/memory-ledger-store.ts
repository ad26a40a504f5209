/** The Stripe tests' ledger store: the sinks' shared in-memory store (its crash switch included). */
export { CrashError, MemoryLedgerStore } from '../../testing/memory-ledger-store';
