/**
 * `npm run synth` (also cdktf.json's app): every stack into cdktf.out/stacks/<stack>/cdk.tf.json.
 * Environment: SYNTH_BACKEND=local for local state in billing stacks, SYNTH_OUTDIR to write elsewhere.
 */
import { platformConfig } from './config/environments';
import { optionsFromEnvironment, runSynth } from './synth';

const stderr = (line: string) => process.stderr.write(line);
const options = optionsFromEnvironment(process.env, stderr);
if (typeof options === 'string') {
  stderr(`synth: ${options}\n`);
  process.exitCode = 1;
} else {
  process.exitCode = runSynth(platformConfig, options);
}
