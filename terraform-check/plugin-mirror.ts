/**
 * Where the AWS provider 5.100.0 comes from: a local filesystem mirror, never the network. Looked
 * up without naming any machine's path, in this order:
 *   1. TF_PLUGIN_MIRROR, the directory that holds registry.terraform.io/ (what .ci/run exports);
 *   2. a `filesystem_mirror { path = ... }` in the CLI configuration file ($TF_CLI_CONFIG_FILE,
 *      else ~/.terraformrc), if that file exists;
 *   3. Terraform's implied local mirror directories on Unix: terraform.d/plugins under the working
 *      directory, ~/.terraform.d/plugins, and terraform/plugins under $XDG_DATA_HOME
 *      (~/.local/share) and each of $XDG_DATA_DIRS (/usr/local/share:/usr/share).
 * A mirror holds the provider unpacked (<host>/<namespace>/<type>/<version>/<os>_<arch>/) or packed
 * (<host>/<namespace>/<type>/terraform-provider-<type>_<version>_<os>_<arch>.zip).
 * https://developer.hashicorp.com/terraform/cli/config/config-file#provider-installation
 * The check's own terraform runs then use a CLI configuration generated under .gen/ that installs
 * the provider from that mirror only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { AWS_PROVIDER_SOURCE, LOCAL_AWS_PROVIDER_VERSION } from './provider-rewrites';

export interface MirrorEnvironment {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly home: string;
  /** os_arch as Terraform names it, e.g. linux_amd64. */
  readonly platform: string;
  readonly exists: (path: string) => boolean;
  readonly readFile: (path: string) => string | undefined;
}

export function terraformPlatform(platform: string = process.platform, arch: string = process.arch): string {
  const goArch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm' };
  const goOs: Record<string, string> = { win32: 'windows' };
  return `${goOs[platform] ?? platform}_${goArch[arch] ?? arch}`;
}

export function defaultMirrorEnvironment(): MirrorEnvironment {
  return {
    env: process.env,
    cwd: process.cwd(),
    home: homedir(),
    platform: terraformPlatform(),
    exists: existsSync,
    readFile: (path) => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return undefined;
      }
    },
  };
}

export interface PluginMirror {
  readonly dir: string;
  /** How it was found, for the report: "TF_PLUGIN_MIRROR", "filesystem_mirror in <file>", "implied mirror directory". */
  readonly foundBy: string;
}

/** Does `dir` hold the AWS provider 5.100.0 for `platform`, unpacked or packed? */
export function mirrorHoldsProvider(dir: string, platform: string, exists: (path: string) => boolean): boolean {
  const typeDir = join(dir, ...AWS_PROVIDER_SOURCE.split('/'));
  return (
    exists(join(typeDir, LOCAL_AWS_PROVIDER_VERSION, platform)) || exists(join(typeDir, `terraform-provider-aws_${LOCAL_AWS_PROVIDER_VERSION}_${platform}.zip`))
  );
}

/** The `path` of every filesystem_mirror block of a CLI configuration file (HCL). */
export function filesystemMirrorPaths(cliConfig: string): string[] {
  const paths: string[] = [];
  const withoutComments = cliConfig.replace(/(^|\s)(#|\/\/).*$/gm, '$1').replace(/\/\*[\s\S]*?\*\//g, '');
  for (const block of withoutComments.matchAll(/filesystem_mirror\s*\{([^}]*)\}/g)) {
    const path = /(?:^|\s)path\s*=\s*"((?:[^"\\]|\\.)*)"/.exec(block[1]);
    if (path) paths.push(JSON.parse(`"${path[1]}"`) as string);
  }
  return paths;
}

function impliedMirrorDirs(m: MirrorEnvironment): string[] {
  const dataHome = m.env.XDG_DATA_HOME || join(m.home, '.local', 'share');
  const dataDirs = (m.env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':').filter((d) => d !== '');
  return [
    join(m.cwd, 'terraform.d', 'plugins'),
    join(m.home, '.terraform.d', 'plugins'),
    ...[dataHome, ...dataDirs].map((d) => join(d, 'terraform', 'plugins')),
  ];
}

/** The mirror, or a one-line error that says what to set. */
export function findPluginMirror(m: MirrorEnvironment = defaultMirrorEnvironment()): PluginMirror | string {
  const wanted = `${AWS_PROVIDER_SOURCE}/${LOCAL_AWS_PROVIDER_VERSION}/${m.platform}`;
  const fix = `set TF_PLUGIN_MIRROR to the directory that contains registry.terraform.io/ (a mirror holding ${wanted}; bash .ci/run finds one on this machine, or make one with terraform providers mirror)`;
  const explicit = m.env.TF_PLUGIN_MIRROR;
  if (explicit !== undefined && explicit !== '') {
    const dir = resolve(m.cwd, explicit);
    if (mirrorHoldsProvider(dir, m.platform, m.exists)) return { dir, foundBy: 'TF_PLUGIN_MIRROR' };
    return `verify:terraform: TF_PLUGIN_MIRROR=${explicit} holds no ${wanted} (unpacked) nor its packed .zip; ${fix}`;
  }
  const configFile = m.env.TF_CLI_CONFIG_FILE || join(m.home, '.terraformrc');
  const config = m.readFile(configFile);
  const looked: string[] = [
    'TF_PLUGIN_MIRROR (unset)',
    `filesystem_mirror in ${configFile} (${config === undefined ? 'no such file' : 'none with the provider'})`,
  ];
  for (const path of config === undefined ? [] : filesystemMirrorPaths(config)) {
    const dir = resolve(m.cwd, path);
    if (mirrorHoldsProvider(dir, m.platform, m.exists)) return { dir, foundBy: `filesystem_mirror in ${configFile}` };
  }
  const implied = impliedMirrorDirs(m);
  for (const dir of implied) if (mirrorHoldsProvider(dir, m.platform, m.exists)) return { dir, foundBy: 'implied mirror directory' };
  looked.push(`implied mirror directories ${implied.join(', ')}`);
  return `verify:terraform: no local mirror of ${wanted}: looked at ${looked.join('; ')}; ${fix}`;
}

function hclString(value: string): string {
  return JSON.stringify(value)
    .replace(/\$\{/g, () => '$${')
    .replace(/%\{/g, () => '%%{');
}

/** CLI configuration for the check's terraform runs: the AWS provider from the mirror, nothing from the network. */
export function cliConfiguration(mirror: PluginMirror): string {
  return [
    `# Generated by terraform-check (npm run verify:terraform): ${mirror.foundBy}.`,
    'disable_checkpoint = true',
    'provider_installation {',
    '  filesystem_mirror {',
    `    path    = ${hclString(mirror.dir)}`,
    `    include = [${hclString(AWS_PROVIDER_SOURCE)}]`,
    '  }',
    '}',
    '',
  ].join('\n');
}
