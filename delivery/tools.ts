/**
 * The delivery tools a credentialed job runs, as one entry point that delivery/bundle-tools.ts
 * bundles into a single file. A job with `id-token: write` never runs npm: a job without
 * credentials builds this bundle, and the credentialed job checks its sha256 before `node` runs it
 * (docs/delivery.md, Credentials only where needed).
 *
 *   node delivery-tools.cjs env <environment>            (as npm run delivery:env)
 *   node delivery-tools.cjs plan-render [args]           (as npm run plan:render)
 *   node delivery-tools.cjs plan-mask [args]             (as npm run plan:mask)
 *   node delivery-tools.cjs report <command> [args]      (as npm run delivery:report)
 *   node delivery-tools.cjs lock <command> [args]        (as npm run delivery:lock)
 */
import { environmentInfo } from './environment-cli';
import { main as reportMain } from './github-report';
import { main as planRenderMain } from './plan-markdown-cli';
import { main as planMaskMain } from './plan-mask-cli';
import { main as lockMain } from './state-lock-cli';

const out = (s: string): void => void process.stdout.write(s);
const err = (s: string): void => void process.stderr.write(s);

export const TOOLS = ['env', 'plan-render', 'plan-mask', 'report', 'lock'] as const;

export async function runTool(argv: readonly string[]): Promise<number> {
  const [tool, ...args] = argv;
  switch (tool) {
    case 'env': {
      if (args.length !== 1) {
        err('usage: delivery-tools env NAME\n');
        return 2;
      }
      try {
        out(
          Object.entries(environmentInfo(args[0]))
            .map(([k, v]) => `${k}=${v}\n`)
            .join(''),
        );
        return 0;
      } catch (error) {
        err(`delivery-tools env: ${(error as Error).message}\n`);
        return 2;
      }
    }
    case 'plan-render':
      return planRenderMain(args);
    case 'plan-mask':
      return planMaskMain(args, out, err);
    case 'report':
      return reportMain(args, out, err);
    case 'lock':
      return lockMain(args, out, err);
    default:
      err(`delivery-tools: unknown tool "${tool ?? ''}"; one of ${TOOLS.join(', ')}\n`);
      return 2;
  }
}
