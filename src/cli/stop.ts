import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, loadConfig } from '../config.ts';
import { type Command, complain, say } from './command.ts';
import { stopKeptAgents } from '../agents/keeper/stop-kept.ts';
import { lockState } from './data-lock.ts';
import { EXIT } from './exit-codes.ts';
import { envWithFlags, settingOptions, settingsHelp } from './settings.ts';

// `gmgui stop`: SIGTERM to the server that holds the data dir's lock (src/cli/data-lock.ts), then wait
// until the lock is free, which is when that process is gone. The pid comes from the pid file, but only
// a held lock makes us signal it: a stale pid file (a server killed with -9) never gets a stranger's
// process signalled.

const DEFAULT_TIMEOUT_S = 30;

export const stopCommand: Command = {
  name: 'stop',
  summary: 'Stop the server running on a data directory',
  help: `Sends SIGTERM to the gmgui server running on the data directory and waits until it has exited:
it finishes the requests under way, stops its agents and closes the database.

Flags:
${settingsHelp(['data-dir'])}
  --timeout <seconds>        how long to wait (default ${DEFAULT_TIMEOUT_S})
  --agents                   also stop the agents kept running after their server (GMGUI_KEEPERS=1):
                             their turns end as the next server finds them (interrupted)

Exit codes: 0 stopped, or no server was running on that data directory (said so); 1 still running
after --timeout, or it could not be signalled; 2 bad flag.`,
  options: { ...settingOptions(['data-dir']), timeout: { type: 'string' }, agents: { type: 'boolean' } },
  async run(values) {
    const { dataDir } = loadConfig(envWithFlags(values));
    const timeoutS = Number(values.timeout ?? DEFAULT_TIMEOUT_S);
    if (!Number.isFinite(timeoutS) || timeoutS <= 0) {
      throw new ConfigError(`--timeout must be a number of seconds above 0, got "${values.timeout}".`);
    }
    const code = await stopServer(dataDir, timeoutS);
    if (!values.agents || code !== EXIT.ok) return code;
    const { asked, left } = await stopKeptAgents(dataDir, timeoutS * 1000);
    if (left > 0) {
      complain(`${left} of ${asked} kept agents are still running after ${timeoutS} s.`);
      return EXIT.failed;
    }
    say(asked ? `Stopped ${asked} kept agent${asked === 1 ? '' : 's'}.` : 'No kept agents were running.');
    return EXIT.ok;
  },
};

/** SIGTERM to the server holding the data dir's lock, then waits for the lock to be free. */
async function stopServer(dataDir: string, timeoutS: number): Promise<number> {
  const state = await lockState(dataDir);
  if (!state.held) {
    say(`No gmgui server is running on ${dataDir}.`);
    return EXIT.ok;
  }
  const { pid } = state;
  if (pid === null) {
    complain(`a process holds ${dataDir} but its pid file is missing: stop it by hand.`);
    return EXIT.failed;
  }
  try {
    process.kill(pid, 'SIGTERM');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // ESRCH: it exited between our look and the signal; the wait below confirms.
    if (code !== 'ESRCH') {
      complain(`cannot signal the gmgui server (pid ${pid}): ${code}. Run this as the user it runs as.`);
      return EXIT.failed;
    }
  }
  say(`Stopping the gmgui server (pid ${pid}) on ${dataDir}…`);
  const deadline = Date.now() + timeoutS * 1000;
  while (Date.now() < deadline) {
    await sleep(100);
    if (!(await lockState(dataDir)).held) {
      say('Stopped.');
      return EXIT.ok;
    }
  }
  complain(
    `the gmgui server (pid ${pid}) is still running after ${timeoutS} s. Try again, or kill -9 ${pid}: nothing acknowledged is lost.`,
  );
  return EXIT.failed;
}
