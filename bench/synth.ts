/**
 * Benchmark: wall time and peak memory of `npm run synth` (every stack, one process) against
 * loading the @cdktf/provider-aws barrel alone, measured in one run, plus handler bundle sizes.
 *   npm run bench:synth [-- --runs N]
 * Peak memory is GNU time's maximum resident set size (%M): the largest single process among the
 * command and its children (npm -> tsx -> node). Each command runs N times (default 3); the table
 * shows the median wall time and the largest peak RSS; the commands alternate round by round. Synthesis writes to a temporary directory.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { HANDLERS } from '../lambdas/bundle';
import { REPO_ROOT } from '../stacks/shared/repo';
import { markdownTable, replaceDocBlock, runStamp } from './doc-block';

const TIME = '/usr/bin/time';

interface Measured {
  readonly label: string;
  readonly wallSeconds: number;
  readonly peakRssMb: number;
}

function parseRuns(argv: readonly string[]): number {
  const i = argv.indexOf('--runs');
  if (i < 0) return 3;
  const n = Number(argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--runs needs a positive integer, got ${argv[i + 1]}`);
  return n;
}

interface Command {
  readonly label: string;
  readonly command: string;
  readonly args: readonly string[];
}

/** Runs the commands round-robin (so background load hits them alike), `runs` rounds. */
function measureAll(commands: readonly Command[], env: NodeJS.ProcessEnv, runs: number): Measured[] {
  const walls = commands.map((): number[] => []);
  const peaks = commands.map(() => 0);
  const scratch = mkdtempSync(join(tmpdir(), 'bench-synth-'));
  try {
    for (let r = 0; r < runs; r++) {
      commands.forEach((c, i) => {
        const report = join(scratch, `time-${r}-${i}.txt`);
        const run = spawnSync(TIME, ['-f', '%e %M', '-o', report, c.command, ...c.args], { cwd: REPO_ROOT, env, encoding: 'utf8' });
        if (run.status !== 0) throw new Error(`${c.label} failed (exit ${run.status}): ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`);
        const [wall, rss] = readFileSync(report, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
        walls[i].push(wall);
        peaks[i] = Math.max(peaks[i], rss);
      });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return commands.map((c, i) => {
    const sorted = [...walls[i]].sort((a, b) => a - b);
    return { label: c.label, wallSeconds: sorted[Math.floor(sorted.length / 2)], peakRssMb: peaks[i] / 1024 };
  });
}

function main(): void {
  if (!existsSync(TIME)) throw new Error(`${TIME} (GNU time) is needed to measure peak memory of child processes; apt-get install time`);
  const runs = parseRuns(process.argv.slice(2));
  const out = mkdtempSync(join(tmpdir(), 'bench-synth-out-'));
  const env = { ...process.env, SYNTH_OUTDIR: out };
  try {
    const rows = measureAll(
      [
        { label: 'node -e "require(\'@cdktf/provider-aws\')"', command: 'node', args: ['-e', "require('@cdktf/provider-aws')"] },
        { label: 'npm run synth (all stacks)', command: 'npm', args: ['run', '--silent', 'synth'] },
        { label: 'tsx stacks/main.ts (no npm)', command: join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), args: ['stacks/main.ts'] },
      ],
      env,
      runs,
    );
    const barrel = rows[0];
    const stacks = spawnSync('ls', [join(out, 'stacks')], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n');

    const pad = (s: string, n: number) => s.padEnd(n);
    console.log(`Synthesis vs loading the provider barrel (median wall of ${runs} runs, max peak RSS); stacks: ${stacks.join(', ')}`);
    console.log(`${pad('command', 44)} ${pad('wall s', 8)} ${pad('peak RSS MB', 12)} ${pad('wall / barrel', 14)} RSS / barrel`);
    for (const m of rows) {
      console.log(
        `${pad(m.label, 44)} ${pad(m.wallSeconds.toFixed(2), 8)} ${pad(m.peakRssMb.toFixed(0), 12)} ${pad((m.wallSeconds / barrel.wallSeconds).toFixed(2), 14)} ${(m.peakRssMb / barrel.peakRssMb).toFixed(2)}`,
      );
    }

    console.log('\nHandler bundles (esbuild, minified, AWS SDK external)');
    console.log(`${pad('handler', 12)} ${pad('bytes', 10)} gzip bytes`);
    const bundles = HANDLERS.map((spec) => {
      const file = join(REPO_ROOT, '.gen', 'lambdas', spec.name, 'index.js');
      return { name: spec.name, bytes: statSync(file).size, gzip: gzipSync(readFileSync(file)).length };
    });
    for (const b of bundles) console.log(`${pad(b.name, 12)} ${pad(String(b.bytes), 10)} ${b.gzip}`);
    if (process.argv.includes('--write-doc')) {
      const table = markdownTable(
        ['command', 'stacks', 'wall s (median)', 'peak RSS MB', 'wall / barrel', 'RSS / barrel'],
        rows.map((m) => [
          m.label,
          m === barrel ? '-' : String(stacks.length),
          m.wallSeconds.toFixed(2),
          m.peakRssMb.toFixed(0),
          (m.wallSeconds / barrel.wallSeconds).toFixed(2),
          (m.peakRssMb / barrel.peakRssMb).toFixed(2),
        ]),
      );
      const sizes = bundles.map((b) => `\`${b.name}\` ${b.bytes.toLocaleString('en-US')} bytes (${b.gzip.toLocaleString('en-US')} gzip)`).join(', ');
      replaceDocBlock(
        join(REPO_ROOT, 'docs', 'platform.md'),
        'synth',
        `\`npm run --silent bench:synth -- --runs ${runs} --write-doc\` (${runStamp()}):\n\n${table}\n\nHandler bundles (minified, no AWS SDK): ${sizes}.`,
      );
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

try {
  main();
} catch (error) {
  process.stderr.write(`bench:synth: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
