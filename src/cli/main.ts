import { readFileSync } from 'node:fs';
import { type CliCommand, parseArgs } from './args.js';
import { runBudget } from './budget-command.js';
import { type LogSink, processSink } from './change-log.js';
import { runChaosCommand } from './chaos-command.js';
import { runCheck } from './check-command.js';
import { runDemo } from './demo-command.js';
import { runDiagram } from './diagram-command.js';
import { runElect } from './elect-command.js';
import { errorMessage } from './error-message.js';
import { runNode } from './node-command.js';
import { USAGE } from './usage.js';
import { UsageError } from './usage-error.js';

// A stopped node has nothing left to do; a lingering socket must not keep it alive.
const EXIT_GRACE_MS = 1000;

function packageVersion(): string {
  // Compiled to dist/src/cli/, three levels below the package root.
  const manifest = new URL('../../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

async function execute(command: CliCommand, sink: LogSink): Promise<number> {
  switch (command.command) {
    case 'help':
      sink.out(USAGE);
      return 0;
    case 'version':
      sink.out(packageVersion());
      return 0;
    case 'node':
      return runNode(command.config, sink);
    case 'demo':
      return runDemo(command.config, sink);
    case 'elect':
      return runElect(command.config, sink);
    case 'diagram':
      return runDiagram(command.config, sink);
    case 'check':
      return runCheck(command.config, sink);
    case 'chaos':
      return runChaosCommand(command.config, sink);
    case 'budget':
      return runBudget(command.config, sink);
  }
}

/** Runs the CLI and resolves with its exit code; usage mistakes are one line and code 2. */
export async function run(argv: readonly string[], sink: LogSink = processSink): Promise<number> {
  try {
    return await execute(parseArgs(argv), sink);
  } catch (err) {
    sink.err(`electorate: ${errorMessage(err)}`);
    return err instanceof UsageError ? 2 : 1;
  }
}

/** The `electorate` executable. */
export async function main(argv: readonly string[]): Promise<void> {
  // A closed pipe (`electorate node ... | head`) is the reader's choice, not a crash.
  process.stdout.on('error', () => {});
  const code = await run(argv);
  process.exitCode = code;
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
}
