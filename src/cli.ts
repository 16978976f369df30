import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Command } from './cli/command.ts';
import { complain, say } from './cli/command.ts';
import { doctorCommand } from './cli/doctor.ts';
import { EXIT, EXIT_CODES_TEXT } from './cli/exit-codes.ts';
import { backupCommand, verifyCommand } from './cli/history-ops.ts';
import { startCommand } from './cli/start.ts';
import { stopCommand } from './cli/stop.ts';
import { ConfigError } from './config.ts';
import { StartupError } from './data-dir.ts';
import { ROOT_DIR } from './root-dir.ts';

// The `gmgui` command (package.json "bin"; `npm start` runs it too): gmgui [command] [flags].
// No command, or flags only, is `start`. Every command has --help and the exit codes of
// src/cli/exit-codes.ts (README "Exit codes").

const COMMANDS: Command[] = [startCommand, stopCommand, doctorCommand, verifyCommand, backupCommand];

const version = (): string =>
  (JSON.parse(readFileSync(join(ROOT_DIR, 'package.json'), 'utf8')) as { version: string }).version;

function overview(): string {
  const rows = COMMANDS.map((c) => {
    const names = [c.name, ...(c.aliases ?? [])].join(', ');
    return `  ${names.padEnd(16)} ${c.summary}`;
  });
  return `gmgui ${version()}: drive coding agents from your browser.

Usage: gmgui [command] [flags]

Commands:
${rows.join('\n')}
  help [command]   Show the help of a command

Flags:
  -h, --help       Show help ("gmgui <command> --help" for a command's flags)
  -v, --version    Print the version

Settings are flags or environment variables (gmgui start --help, README "Settings").
${EXIT_CODES_TEXT}`;
}

const find = (name: string): Command | undefined =>
  COMMANDS.find((c) => c.name === name || c.aliases?.includes(name));

const commandHelp = (c: Command): string =>
  `Usage: gmgui ${c.name} [flags]${c.args ? ` ${c.args}` : ''}\n\n${c.help}`;

async function main(argv: string[]): Promise<number | null> {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-v' || first === 'version') {
    say(version());
    return EXIT.ok;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    const c = rest[0] ? find(rest[0]) : undefined;
    if (rest[0] && !c) throw new ConfigError(`Unknown command "${rest[0]}". Run: gmgui --help`);
    say(c ? commandHelp(c) : overview());
    return EXIT.ok;
  }
  const named = first !== undefined && !first.startsWith('-');
  const command = named ? find(first) : startCommand;
  if (!command) throw new ConfigError(`Unknown command "${first}". Run: gmgui --help`);
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: named ? rest : argv,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: command.args !== undefined,
      strict: true,
    }));
  } catch (e) {
    throw new ConfigError(`${(e as Error).message.replace(/\.?$/, '.')} Run: gmgui ${command.name} --help`);
  }
  if (values.help) {
    say(commandHelp(command));
    return EXIT.ok;
  }
  return command.run(values, positionals);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== null) process.exitCode = code;
  },
  (err) => {
    if (err instanceof StartupError) {
      complain(err.message);
      process.exit(err.exitCode);
    }
    if (err instanceof ConfigError) {
      complain(err.message);
      process.exit(EXIT.usage);
    }
    process.stderr.write(`gmgui failed: ${err?.stack ?? err}\n`);
    process.exit(EXIT.failed);
  },
);
