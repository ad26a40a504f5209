/** Collects what a read-back checked and what did not match, so one run reports every mismatch. */
import { isDeepStrictEqual } from 'node:util';

function show(value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

export class Findings {
  readonly problems: string[] = [];
  checks = 0;

  constructor(readonly scope: string) {}

  /** Deep equality; never use it on secret values (they would be printed): use `that`. */
  equal(what: string, actual: unknown, expected: unknown): void {
    this.checks += 1;
    if (!isDeepStrictEqual(actual, expected)) this.problems.push(`${this.scope}: ${what} is ${show(actual)}, expected ${show(expected)}`);
  }

  that(what: string, ok: boolean, detail?: string): void {
    this.checks += 1;
    if (!ok) this.problems.push(`${this.scope}: ${what}${detail === undefined ? '' : ` (${detail})`}`);
  }

  /** Runs a read that may throw (a missing resource); the error becomes a problem. */
  async read<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (error) {
      this.checks += 1;
      const name = error instanceof Error ? error.name : 'Error';
      this.problems.push(`${this.scope}: reading ${what} failed: ${name}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
      return undefined;
    }
  }
}
