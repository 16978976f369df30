import { loadConfig } from '../config.ts';
import { prepareDataDir } from '../data-dir.ts';
import { startServer } from '../server.ts';
import { type Command, complain, say } from './command.ts';
import { lockDataDir } from './data-lock.ts';
import { EXIT } from './exit-codes.ts';
import { logFormat, loggingSetup } from './logging.ts';
import { envWithFlags, settingOptions, settingsHelp } from './settings.ts';

// `gmgui start` (also plain `gmgui`, `gmgui serve`, `npm start`): the server, in the foreground, until
// SIGTERM or SIGINT. One per data dir (src/cli/data-lock.ts).

export const startCommand: Command = {
  name: 'start',
  aliases: ['serve'],
  summary: 'Start the server in the foreground (the default command)',
  help: `Starts the server and prints the link to open. It stops on SIGTERM or Ctrl-C (exit 0), or with
"gmgui stop" from another terminal. One server per data directory: a second one exits with 7.

Flags (each means the same as its environment variable, and wins over it):
${settingsHelp()}

Every other setting is an environment variable (README "Settings").`,
  options: settingOptions(),
  async run(values) {
    const env = envWithFlags(values);
    const config = loadConfig(env);
    const format = logFormat(env, process.stdout.isTTY === true);
    // In this order: a data dir we cannot write is 3, one another server runs on is 7, and nothing is
    // opened (the store, its start-up recovery) before the lock is ours.
    await prepareDataDir(config.dataDir);
    const lock = await lockDataDir(config.dataDir);
    let server: Awaited<ReturnType<typeof startServer>>;
    try {
      const logging = await loggingSetup(format, config.logLevel, process.stdout.isTTY === true);
      server = await startServer(config, logging);
    } catch (e) {
      lock.release();
      throw e;
    }
    const link = `${server.url}/?token=${encodeURIComponent(server.token)}`;
    // The one line a person needs: printed plainly on stdout, never through the JSON logs.
    say(`\ngmgui is ready: open ${link}\n  data: ${config.dataDir}  store: ${server.store.kind}\n`);

    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) {
        complain(`${signal} again: exiting now.`);
        process.exit(130);
      }
      stopping = true;
      server.app.log.info({ signal }, 'shutting down');
      server
        .stop()
        .then(() => {
          lock.release();
          process.exit(EXIT.ok);
        })
        .catch((err) => {
          complain(`shutdown failed: ${String(err)}`);
          process.exit(EXIT.failed);
        });
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
    return null;
  },
};
