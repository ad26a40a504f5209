/** The bundle's entry: runs one delivery tool (delivery/tools.ts), its result as the exit code. */
import { runTool } from './tools';

void runTool(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
