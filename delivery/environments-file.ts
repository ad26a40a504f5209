/**
 * Writes .github/environments.json, the one list of deployed environments the workflows read
 * (config/environments.ts, `platformConfig.environments`, in its order):
 *
 *   npm run delivery:environments
 *
 * The plan, drift and usage workflows turn it into their matrices, and the usage and unlock
 * workflows check a dispatched environment name against it, each with a first job that runs
 * `jq -c . .github/environments.json`. The file is `jq -c` output (one line, no spaces), so what a
 * job reads is the file byte for byte. delivery/environments-file.test.ts fails when the file is out
 * of date with the configuration, and says to run this command.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { platformConfig } from '../config/environments';
import { validatePlatformConfig } from '../config/validate';
import { deployedEnvironmentNames } from './environment-cli';

const ROOT = join(__dirname, '..');
export const ENVIRONMENTS_FILE = join(ROOT, '.github', 'environments.json');
export const ENVIRONMENTS_COMMAND = 'npm run delivery:environments';

/** The file's text for these environment names: compact JSON, one line, as `jq -c .` prints it. */
export function environmentsFileText(names: readonly string[]): string {
  return `${JSON.stringify(names)}\n`;
}

/** The names of the deployed environments, after the configuration is validated. */
export function configuredEnvironmentNames(): string[] {
  validatePlatformConfig(platformConfig);
  return deployedEnvironmentNames();
}

/** Why the file's text is not the configuration's list, or undefined when it is. */
export function environmentsFileProblem(text: string | undefined, names: readonly string[]): string | undefined {
  const where = relative(ROOT, ENVIRONMENTS_FILE);
  if (text === undefined) return `${where} is missing: run ${ENVIRONMENTS_COMMAND}`;
  if (text === environmentsFileText(names)) return undefined;
  return `${where} is out of date with config/environments.ts (it says ${text.trim()}, the configuration deploys ${JSON.stringify(names)}): run ${ENVIRONMENTS_COMMAND} and commit the file`;
}

export function readEnvironmentsFile(): string | undefined {
  try {
    return readFileSync(ENVIRONMENTS_FILE, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

if (require.main === module) {
  const text = environmentsFileText(configuredEnvironmentNames());
  writeFileSync(ENVIRONMENTS_FILE, text);
  process.stdout.write(`delivery:environments: wrote ${relative(process.cwd(), ENVIRONMENTS_FILE)}: ${text}`);
}
