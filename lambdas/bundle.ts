/**
 * Bundles each Lambda handler with esbuild into its own folder under .gen/lambdas/<name>/.
 * Synchronous so synthesis stays one straight pass. Handlers that do not call AWS get no SDK.
 * Several processes may synthesize at once (jest workers, a synth beside a test run): each file is
 * written to a temporary name and renamed into place, so a reader sees a whole bundle, never a
 * folder another process has just emptied.
 */
import { buildSync } from 'esbuild';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { handlerEntry, ROUTES } from './routes';

export interface HandlerSpec {
  /** Short name: used for the Lambda function name suffix and the bundle folder. */
  readonly name: string;
  /** Entry file relative to the repository root. */
  readonly entry: string;
}

/** One bundle per route of lambdas/routes.ts. */
export const HANDLERS: readonly HandlerSpec[] = ROUTES.map((r) => ({ name: r.name, entry: handlerEntry(r.name) }));

const repoRoot = resolve(__dirname, '..');

export interface HandlerBundle {
  /** Folder the bundle is written to (.gen/lambdas/<name>/). */
  readonly dir: string;
  /** The bundle's files by name relative to that folder (index.js). */
  readonly files: ReadonlyMap<string, Uint8Array>;
}

/**
 * Writes a file under a temporary name beside it, then renames it into place: a reader sees the old
 * file or the new one, never a part. The temporary name carries the process id, so concurrent
 * writers never share one.
 */
export function writeFileAtomically(path: string, data: Uint8Array): void {
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(temporary, data);
  renameSync(temporary, path);
}

/** Bundles one handler to .gen/lambdas/<name>/index.js (CommonJS, handler export `handler`). */
export function bundleHandler(spec: HandlerSpec): HandlerBundle {
  const dir = join(repoRoot, '.gen', 'lambdas', spec.name);
  mkdirSync(dir, { recursive: true });
  const result = buildSync({
    entryPoints: [join(repoRoot, spec.entry)],
    outfile: join(dir, 'index.js'),
    write: false,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    external: ['@aws-sdk/*'],
    logLevel: 'error',
  });
  const files = new Map<string, Uint8Array>();
  for (const output of result.outputFiles) {
    if (!output.path.startsWith(dir + '/')) throw new Error(`esbuild wrote ${output.path} outside ${dir}`);
    files.set(output.path.slice(dir.length + 1), output.contents);
  }
  for (const [name, data] of files) writeFileAtomically(join(dir, name), data);
  return { dir, files };
}

if (require.main === module) {
  for (const spec of HANDLERS) console.log(bundleHandler(spec).dir);
}
