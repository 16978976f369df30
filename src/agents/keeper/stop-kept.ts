import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { keeperPaths, keepersDir } from './protocol.ts';
import { liveKeepers, processAlive } from './settings.ts';

// `gmgui stop --agents` (src/cli/stop.ts): the agents kept running after their server are stopped
// through their keepers' sockets, never by a pid alone (a pid from before a reboot may be a stranger's
// now). Each keeper stops its agent's process group and exits (docs/DESIGN.md "Process model").

function askToStop(sock: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(sock);
    s.once('error', () => resolve(false));
    s.once('connect', () => {
      s.end(`${JSON.stringify({ keeper: 'stop' })}\n`);
      resolve(true);
    });
  });
}

/** Stops every kept agent of the data dir; resolves with how many were asked and how many remain. */
export async function stopKeptAgents(
  dataDir: string,
  timeoutMs: number,
): Promise<{ asked: number; left: number }> {
  const dir = keepersDir(dataDir);
  const keepers = liveKeepers(dir);
  const asked = [];
  for (const k of keepers) if (await askToStop(keeperPaths(dir, k.id).sock)) asked.push(k);
  const deadline = Date.now() + timeoutMs;
  let left = asked;
  while (left.length && Date.now() < deadline) {
    await sleep(100);
    left = left.filter((k) => processAlive(k.keeperPid));
  }
  return { asked: asked.length, left: left.length };
}
