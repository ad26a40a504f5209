/**
 * Bundles the usage job as the scheduled workflow runs it (the usage CLI with --engine athena, and
 * the invoice-of-record writer) into one CommonJS file with every dependency inlined, and prints
 * `<sha256>  <path>`. A job without credentials builds it after `npm ci --ignore-scripts`; the
 * credentialed usage job checks its digest against the build job's output and against the digest
 * the apply recorded for the environment before `node` runs it (docs/delivery.md, Credentials only
 * where needed).
 *
 *   npm run --silent delivery:bundle-usage [-- OUTFILE]     (default .gen/build/usage-job.cjs)
 *   node usage-job.cjs usage [usage CLI args]               (as npm run usage)
 *   node usage-job.cjs store-invoice [args]                 (as npm run usage:store-invoice)
 *
 * Two parts of the CLI do not bundle as they are, and are replaced here, loudly:
 * - DuckDB is a native addon (a .node file), which a single JavaScript file cannot hold; the
 *   bundle's DuckDB throws on use, so `--engine duckdb` fails with one line (the scheduled job runs
 *   Athena only).
 * - sql/usage-query.ts reads usage_hourly.sql from beside itself at run time; the bundle holds
 *   the text instead (so the digest covers the SQL too).
 * - usage-job/aws-parts.ts loads usage-job/aws/index.ts with `import(path)` of a variable, which a
 *   bundler cannot follow; the bundle imports that literal path instead. If the source no longer
 *   has these lines the build fails, naming them.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';

const ROOT = resolve(__dirname, '..');
export const DEFAULT_USAGE_BUNDLE = join('.gen', 'build', 'usage-job.cjs');
export const USAGE_BUNDLE_TOOLS = ['usage', 'store-invoice'] as const;

/** Text a file must contain, and what the bundle puts in its place. */
interface Replacement {
  readonly file: string;
  readonly find: string;
  readonly replace: () => string;
}
const REPLACEMENTS: readonly Replacement[] = [
  { file: 'usage-job/aws-parts.ts', find: 'await import(path)', replace: () => "await import('./aws/index')" },
  {
    file: 'sql/usage-query.ts',
    find: "readFileSync(USAGE_SQL_PATH, 'utf8')",
    replace: () => JSON.stringify(readFileSync(join(ROOT, 'sql', 'usage_hourly.sql'), 'utf8')),
  },
];
export const DUCKDB_MESSAGE =
  'the usage-job bundle runs --engine athena only: DuckDB is a native addon the bundle does not hold (use npm run usage for DuckDB)';

const ENTRY = `
import { main as usage } from './usage-job/cli';
import { main as storeInvoice } from './usage-job/store-invoice';
const tools = { usage, 'store-invoice': storeInvoice };
const [tool, ...args] = process.argv.slice(2);
const run = tools[tool];
if (run === undefined) {
  process.stderr.write('usage-job bundle: unknown tool "' + (tool ?? '') + '"; one of ${USAGE_BUNDLE_TOOLS.join(', ')}\\n');
  process.exitCode = 2;
} else {
  void run(args, (s) => process.stdout.write(s), (s) => process.stderr.write(s)).then((code) => { process.exitCode = code; });
}
`;

/** The plugin that makes the replacements; `applied` collects the files it changed. */
function replacements(applied: Set<string>): Plugin {
  return {
    name: 'usage-job-bundle',
    setup(b) {
      b.onResolve({ filter: /^@duckdb\/node-api$/ }, () => ({ path: 'duckdb', namespace: 'no-duckdb' }));
      b.onLoad({ filter: /.*/, namespace: 'no-duckdb' }, () => ({
        contents: `export class DuckDBInstance { static async create() { throw new Error(${JSON.stringify(DUCKDB_MESSAGE)}); } }`,
        loader: 'js',
      }));
      for (const r of REPLACEMENTS) {
        const path = join(ROOT, r.file);
        b.onLoad({ filter: new RegExp(`${r.file.replace(/[./]/g, (c) => `\\${c}`)}$`) }, (args) => {
          if (args.path !== path) return undefined;
          const source = readFileSync(path, 'utf8');
          if (!source.includes(r.find)) throw new Error(`${r.file} no longer contains "${r.find}": update delivery/bundle-usage-job.ts`);
          applied.add(r.file);
          return { contents: source.replace(r.find, () => r.replace()), loader: 'ts' };
        });
      }
    },
  };
}

/** Builds the bundle and returns its sha256 (hex). The output is the same for the same sources. */
export async function bundleUsageJob(outfile: string): Promise<string> {
  mkdirSync(dirname(outfile), { recursive: true });
  const applied = new Set<string>();
  // esbuild runs plugins only in its asynchronous API.
  await build({
    stdin: { contents: ENTRY, resolveDir: ROOT, sourcefile: 'usage-job-bundle-entry.ts', loader: 'ts' },
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: false,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'error',
    plugins: [replacements(applied)],
    // Each bundled CLI runs its own main() only when it is the script node started; inside the bundle none is.
    define: { 'require.main': 'undefined' },
  });
  const missed = REPLACEMENTS.filter((r) => !applied.has(r.file)).map((r) => r.file);
  if (missed.length > 0) throw new Error(`the bundle no longer loads ${missed.join(', ')}: update delivery/bundle-usage-job.ts`);
  return createHash('sha256').update(readFileSync(outfile)).digest('hex');
}

if (require.main === module) {
  const outfile = resolve(process.argv[2] ?? join(ROOT, DEFAULT_USAGE_BUNDLE));
  void bundleUsageJob(outfile).then(
    (digest) => void process.stdout.write(`${digest}  ${relative(process.cwd(), outfile)}\n`),
    (error: unknown) => {
      process.stderr.write(`delivery:bundle-usage: ${(error as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
