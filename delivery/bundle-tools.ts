/**
 * Bundles the delivery tools (delivery/tools-main.ts) into one CommonJS file with every dependency
 * inlined, and prints `<sha256>  <path>`: the digest the credentialed job checks with
 * `sha256sum -c` before it runs the file with `node`. Runs in a job without credentials, after
 * `npm ci --ignore-scripts`: esbuild's JS API runs the binary of its platform package
 * (@esbuild/linux-x64), which needs no install script.
 *
 *   npm run --silent delivery:bundle [-- OUTFILE]     (default .gen/delivery-tools/delivery-tools.cjs)
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { buildSync } from 'esbuild';

const ROOT = resolve(__dirname, '..');
export const DEFAULT_TOOLS_BUNDLE = join('.gen', 'delivery-tools', 'delivery-tools.cjs');

/** Builds the bundle and returns its sha256 (hex). The output is the same for the same sources. */
export function bundleDeliveryTools(outfile: string): string {
  mkdirSync(dirname(outfile), { recursive: true });
  buildSync({
    entryPoints: [join(ROOT, 'delivery', 'tools-main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: false,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'error',
    // Each bundled CLI runs its main() when it is the script node started; inside the bundle none is.
    define: { 'require.main': 'undefined' },
  });
  return createHash('sha256').update(readFileSync(outfile)).digest('hex');
}

if (require.main === module) {
  const outfile = resolve(process.argv[2] ?? join(ROOT, DEFAULT_TOOLS_BUNDLE));
  process.stdout.write(`${bundleDeliveryTools(outfile)}  ${relative(process.cwd(), outfile)}\n`);
}
