import type { Options, Values } from './settings.ts';

// One gmgui subcommand (src/cli.ts dispatches): its flags, its help, what it does.

export interface Command {
  name: string;
  /** Other names that run it (`serve` for `start`). */
  aliases?: string[];
  /** One line for `gmgui --help`. */
  summary: string;
  /** The text of `gmgui <name> --help` after its usage line. */
  help: string;
  /** Its flags (`--help` is added for every command). */
  options: Options;
  /** Its arguments after the flags, for the usage line (`<file>`); absent: it takes none. */
  args?: string;
  /** Resolves to the exit code (src/cli/exit-codes.ts), or null while it keeps running (the server). */
  run(values: Values, args: string[]): Promise<number | null>;
}

/** Human output: results on stdout, problems on stderr, never through the JSON logs. */
export const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
export const complain = (line: string): void => {
  process.stderr.write(`gmgui: ${line}\n`);
};
