/**
 * Benchmarks write their own results into the docs: with `--write-doc`, a benchmark replaces the
 * block between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` in its doc file, so the figures a
 * reader sees are the ones a run printed, never retyped.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';

export function replaceDocBlock(file: string, name: string, markdown: string): void {
  const open = `<!-- bench:${name} -->`;
  const close = `<!-- /bench:${name} -->`;
  const doc = readFileSync(file, 'utf8');
  const a = doc.indexOf(open);
  const b = doc.indexOf(close);
  if (a === -1 || b < a) throw new Error(`${file} has no block ${open} ... ${close}`);
  writeFileSync(file, `${doc.slice(0, a + open.length)}\n${markdown.trim()}\n${doc.slice(b)}`);
}

/** "one run on 2026-11-30, 2 cores, Node v20.20.2" */
export function runStamp(): string {
  return `one run on ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, Node ${process.version}`;
}

/** A Markdown table; columns after the first two are right-aligned. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const align = header.map((_, i) => (i < 2 ? '---' : '---:'));
  return [header, align, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}
