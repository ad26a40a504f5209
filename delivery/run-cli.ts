/** Runs a delivery CLI's main(argv, out, err) as the script npm started, its return value as the exit code. */
export type CliMain = (argv: readonly string[], out: (s: string) => void, err: (s: string) => void) => Promise<number>;

export function runCli(main: CliMain): void {
  void main(
    process.argv.slice(2),
    (s) => process.stdout.write(s),
    (s) => process.stderr.write(s),
  ).then((code) => {
    process.exitCode = code;
  });
}
