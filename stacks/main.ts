/**
 * `npm run synth`: validates the configuration and synthesizes every stack into
 * cdktf.out/stacks/<stack>/cdk.tf.json. Bad configuration prints one line and exits 1.
 * SYNTH_BACKEND=local synthesizes billing stacks with a local backend instead of S3.
 */
import { App } from 'cdktf';
import { platformConfig } from './config/environments';
import { ConfigError } from './config/validate';
import { buildPlatform } from './app';
import { backendFromEnvironment } from './shared/backend';

function main(): void {
  const app = new App({ outdir: 'cdktf.out', skipValidation: false });
  buildPlatform(app, platformConfig, { backend: backendFromEnvironment() });
  app.synth();
}

try {
  main();
} catch (error) {
  if (error instanceof ConfigError || (error instanceof Error && /^SYNTH_BACKEND/.test(error.message))) {
    process.stderr.write(`synth: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
