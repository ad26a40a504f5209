/**
 * `npm run synth` (also cdktf.json's app): every stack into cdktf.out/stacks/<stack>/cdk.tf.json.
 * Environment: SYNTH_BACKEND=local for local state in billing stacks, SYNTH_OUTDIR to write elsewhere,
 * SYNTH_DEBUG=1 to print stack traces of unexpected errors (a bundling failure, for instance).
 */
import { platformConfig } from '../config/environments';
import { optionsFromEnvironment, runSynth } from './synth';

const stderr = (line: string) => process.stderr.write(line);
const options = optionsFromEnvironment(process.env, stderr);
if (typeof options === 'string') {
  stderr(`synth: ${options}\n`);
  process.exitCode = 1;
} else {
  try {
    process.exitCode = runSynth(platformConfig, options);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    stderr(`synth: ${message}\n`);
    if (process.env.SYNTH_DEBUG === '1' && error instanceof Error) stderr(`${error.stack ?? ''}\n`);
    process.exitCode = 1;
  }
}
