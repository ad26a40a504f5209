/**
 * Bundles each Lambda handler with esbuild into its own folder under .gen/lambdas/<name>/.
 * Synchronous so synthesis stays one straight pass. Handlers that do not call AWS get no SDK.
 */
import { buildSync } from 'esbuild';
import { mkdirSync, rmSync } from 'node:fs';
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

/** Bundles one handler to .gen/lambdas/<name>/index.js (CommonJS, handler export `handler`). */
export function bundleHandler(spec: HandlerSpec): string {
  const outDir = join(repoRoot, '.gen', 'lambdas', spec.name);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  buildSync({
    entryPoints: [join(repoRoot, spec.entry)],
    outfile: join(outDir, 'index.js'),
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
  return outDir;
}

if (require.main === module) {
  for (const spec of HANDLERS) console.log(bundleHandler(spec));
}
