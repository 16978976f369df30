import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadAgentRegistry } from '../src/agents/registry.ts';
import { createRunner } from '../src/agents/runner.ts';
import { silentLog } from '../src/agents/log.ts';
import { createConversation } from '../src/commands/conversations.ts';
import { sendMessage } from '../src/commands/messages.ts';
import { loadConfig } from '../src/config.ts';
import { prepareDataDir } from '../src/data-dir.ts';
import type { StoredEvent } from '../src/domain/types.ts';
import { openStore } from '../src/store/open.ts';
import type { Store } from '../src/store/types.ts';

// Agents bench (issue 3): with the real runner, the default SQLite store and real agent processes,
// 1. send → first text_delta stored, for a fresh agent (process start included) and a warm one;
// 2. sustained agent output stored (chunks/s) against the same agent writing the same output to
//    /dev/null, measured in the same run, so the ratio says what gmgui costs.

const FIXTURE = join(import.meta.dirname, '..', 'test', 'fixtures', 'agents', 'fixture-agent.ts');
const TSX = import.meta.resolve('tsx');
const BURST_CHUNKS = 20_000;
const LATENCY_RUNS = 7;

export interface AgentsBenchResult {
  firstTextColdMs: number;
  firstTextWarmMs: number;
  storedChunksPerSec: number;
  devNullChunksPerSec: number;
  ratio: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Resolves with the session's events once `done` is stored for it (or its first text_delta). */
function watch(store: Store, sessionId: string, until: 'first_text' | 'session_end'): Promise<StoredEvent[]> {
  return new Promise((resolve, reject) => {
    const seen: StoredEvent[] = [];
    let after = 0;
    let reading = false;
    const check = async () => {
      if (reading) return;
      reading = true;
      try {
        for (;;) {
          const page = await store.readEvents({ after, sessionId, limit: 5000 });
          if (page.length === 0) break;
          after = page[page.length - 1].seq;
          seen.push(...page);
        }
        const hit =
          until === 'first_text'
            ? seen.some((e) => e.type === 'text_delta')
            : seen.some(
                (e) => e.type === 'session_updated' && e.status !== 'processing' && e.status !== 'pending',
              );
        if (hit) {
          off();
          clearInterval(poll);
          resolve(seen);
        }
      } catch (err) {
        reject(err);
      } finally {
        reading = false;
      }
    };
    const off = store.onAppend(() => void check());
    const poll = setInterval(() => void check(), 50);
  });
}

async function devNullRate(): Promise<number> {
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', TSX, FIXTURE, 'burst-raw', String(BURST_CHUNKS)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    p.stderr.on('data', (d) => {
      err += d;
    });
    p.on('exit', (code) =>
      code === 0 ? resolve(err) : reject(new Error(`baseline agent exited ${code}: ${err}`)),
    );
  });
  const { chunks, ms } = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { chunks: number; ms: number };
  return (chunks / ms) * 1000;
}

export async function runAgentsBench(): Promise<AgentsBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'gmgui-bench-agents-'));
  const agentsFile = join(dir, 'agents.json');
  await writeFile(
    agentsFile,
    JSON.stringify({
      agents: [
        { id: 'burst', name: 'Burst', command: process.execPath, args: ['--import', TSX, FIXTURE, 'burst'] },
      ],
    }),
  );
  const config = loadConfig({
    GMGUI_DATA_DIR: join(dir, 'data'),
    GMGUI_ROOTS: dir,
    GMGUI_AGENTS_FILE: agentsFile,
    HOME: dir,
  });
  await prepareDataDir(config.dataDir);
  const store = await openStore(config);
  const agents = await loadAgentRegistry(config, silentLog);
  const runner = createRunner({ config, store, agents, log: silentLog, instanceId: 'bench' });
  runner.start();
  try {
    const turn = async (conversationId: string, content: string, until: 'first_text' | 'session_end') => {
      const t0 = performance.now();
      const { session } = await store.transaction((tx) => sendMessage(tx, conversationId, { content }));
      const watching = watch(store, session.id, until);
      runner.wake();
      const events = await watching;
      return { ms: performance.now() - t0, events, sessionId: session.id };
    };
    const settle = (sessionId: string) => watch(store, sessionId, 'session_end');

    const cold: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < LATENCY_RUNS; i++) {
      const conv = await store.transaction((tx) => createConversation(tx, { agentId: 'demo', cwd: dir }));
      const first = await turn(conv.id, '/quick', 'first_text');
      cold.push(first.ms);
      await settle(first.sessionId);
      const second = await turn(conv.id, '/quick', 'first_text');
      warm.push(second.ms);
      await settle(second.sessionId);
    }

    const conv = await store.transaction((tx) => createConversation(tx, { agentId: 'burst', cwd: dir }));
    await settle((await turn(conv.id, 'burst 10', 'session_end')).sessionId); // warm the process up
    const burst = await turn(conv.id, `burst ${BURST_CHUNKS}`, 'session_end');
    const texts = burst.events.filter((e) => e.type === 'text_delta');
    if (texts.length !== BURST_CHUNKS) throw new Error(`stored ${texts.length} of ${BURST_CHUNKS} chunks`);
    const span = Math.max(1, texts[texts.length - 1].created_at - texts[0].created_at);
    const storedChunksPerSec = ((texts.length - 1) / span) * 1000;
    const devNullChunksPerSec = await devNullRate();

    return {
      firstTextColdMs: median(cold),
      firstTextWarmMs: median(warm),
      storedChunksPerSec,
      devNullChunksPerSec,
      ratio: storedChunksPerSec / devNullChunksPerSec,
    };
  } finally {
    await runner.stop();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await runAgentsBench();
  console.log('agents bench');
  console.log(
    `  send → first text_delta stored, fresh agent (median of ${LATENCY_RUNS}): ${r.firstTextColdMs.toFixed(1)} ms`,
  );
  console.log(
    `  send → first text_delta stored, warm agent  (median of ${LATENCY_RUNS}): ${r.firstTextWarmMs.toFixed(1)} ms`,
  );
  console.log(`  agent output stored: ${Math.round(r.storedChunksPerSec)} chunks/s`);
  console.log(`  same agent to /dev/null: ${Math.round(r.devNullChunksPerSec)} chunks/s`);
  console.log(`  stored / dev-null: ${(r.ratio * 100).toFixed(1)} %`);
}
