/**
 * Synthesis as a function: validates the configuration, builds every stack in one App and writes
 * <outdir>/stacks/<stack>/cdk.tf.json. A configuration problem is reported as one line,
 * `synth: <what is wrong>`, with exit code 1 and nothing written; no stack trace.
 */
import { App } from 'cdktf';
import { buildPlatform } from './app';
import type { PlatformConfig } from '../config/types';
import { ConfigError, validatePlatformConfig } from '../config/validate';
import { backendFromEnvironment } from './shared/backend';
import type { BackendKind } from './shared/backend';

export interface SynthOptions {
  readonly outdir: string;
  readonly backend: BackendKind;
  readonly stderr: (line: string) => void;
}

/** Returns the process exit code. */
export function runSynth(config: PlatformConfig, options: SynthOptions): number {
  try {
    validatePlatformConfig(config);
  } catch (error) {
    if (error instanceof ConfigError) {
      options.stderr(`synth: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const app = new App({ outdir: options.outdir });
  buildPlatform(app, config, { backend: options.backend });
  app.synth();
  return 0;
}

/** Options from the environment: SYNTH_OUTDIR (default cdktf.out), SYNTH_BACKEND (s3 | local). */
export function optionsFromEnvironment(env: NodeJS.ProcessEnv, stderr: (line: string) => void): SynthOptions | string {
  try {
    return { outdir: env.SYNTH_OUTDIR ?? 'cdktf.out', backend: backendFromEnvironment(env), stderr };
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
