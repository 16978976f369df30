import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { startServer, type TestServer } from '../test/helpers/server.ts';
import { stampOf, writeStampAgentsFile } from '../test/stream/helpers.ts';
import { type Dist, dist } from './lib/dist.ts';
import { seedDeltaHistories } from './lib/seed-history.ts';
import { resumeBench } from './lib/stream-resume.ts';

export { type Dist, dist };

// Streaming bench (issue 4), against the real server process, the real runner and a real ACP agent
// (test/fixtures/agents/stream-stamp.ts, which stamps each chunk with its emission time):
// 1. latency from the agent emitting a chunk to it arriving at 1, 10 and 100 WebSocket clients, every
//    chunk stored first, against a bare `ws` server pushing the same frames to the same clients (baseline,
//    measured in this run);
// 2. stored chunks/s of a flood while 10 clients receive it;
// 3. time to resume with `after` in a conversation of 10,000 vs 1,000,000 stored events (seeded with raw
//    better-sqlite3 inserts): must not grow with history;
// 4. server RSS with 100 conversations and 100 connected clients.
// Runs alone: node --import tsx bench/stream.ts

const TSX = import.meta.resolve('tsx');
const BARE = join(import.meta.dirname, '..', 'test', 'fixtures', 'agents', 'stream-bare-push.ts');
const LATENCY_CHUNKS = 500;
const LATENCY_INTERVAL_MS = 10;
const FLOOD_CHUNKS = 20_000;
const SMALL_YOUNG_GEN = '--max-semi-space-size=4';

export interface StreamBenchResult {
  latency: Array<{
    clients: number;
    gmgui: Dist;
    /** Emission → transaction start (runner batching, parsing): the share before the commit and the gateway. */
    emitToStore: Dist;
    bare: Dist;
    ratioP50: number;
    ratioP99: number;
  }>;
  flood: {
    chunks: number;
    storedPerSec: number;
    deliveredPerSec: number;
    clients: number;
    allDelivered: boolean;
  };
  resume: Array<{ history: number; nearEndMs: number; middleMs: number }>;
  resumeRatio: number;
  memory: { conversations: number; clients: number; idleMb: number; peakMb: number; afterMb: number };
  /** The same with the young generation capped (NODE_OPTIONS=--max-semi-space-size=4), for comparison. */
  memorySmallYoungGen: StreamBenchResult['memory'];
  targets: { p99At10ClientsUnder20ms: boolean; resumeRatioAtMost2: boolean; memoryUnder150Mb: boolean };
}

const log = (s: string) => process.stderr.write(`  … ${s}\n`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const wsBase = (s: TestServer) => s.base.replace(/^http/, 'ws');

export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

export function openWs(url: string, token?: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Emit-to-arrival latency of every stamped frame at every client; resolves once each has `n` of them. */
function collectLatency(
  clients: WebSocket[],
  n: number,
): { samples: number[]; toStore: number[]; done: Promise<void> } {
  const samples: number[] = [];
  /** Emission to the store's transaction clock (`created_at`, whole ms): the part before the gateway. */
  const toStore: number[] = [];
  const done = Promise.all(
    clients.map(
      (ws) =>
        new Promise<void>((resolve) => {
          let got = 0;
          ws.on('message', (data) => {
            const m = /"text":"(<t:[\d.]+>)/.exec(String(data));
            const stamp = m ? stampOf(m[1]) : null;
            if (stamp === null) return;
            samples.push(performance.timeOrigin + performance.now() - stamp);
            const created = /"created_at":(\d+)/.exec(String(data));
            if (created && ws === clients[0]) toStore.push(Number(created[1]) - stamp);
            if (++got === n) resolve();
          });
        }),
    ),
  ).then(() => undefined);
  return { samples, toStore, done };
}

export async function startBare(): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, ['--import', TSX, BARE], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    proc.stdout?.on('data', (d) => {
      out += d;
      const m = /port=(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proc.once('exit', (code) => reject(new Error(`baseline server exited ${code}`)));
  });
  return { proc, port };
}

async function bareLatency(port: number, clients: number): Promise<Dist> {
  const sockets = await Promise.all(Array.from({ length: clients }, () => openWs(`ws://127.0.0.1:${port}`)));
  const { samples, done } = collectLatency(sockets, LATENCY_CHUNKS);
  sockets[0].send(JSON.stringify({ n: LATENCY_CHUNKS, interval: LATENCY_INTERVAL_MS }));
  await done;
  for (const ws of sockets) ws.terminate();
  return dist(samples);
}

async function post(s: TestServer, path: string, body: unknown): Promise<Record<string, unknown>> {
  const r = await s.api('POST', path, body);
  if (r.status !== 201) throw new Error(`${path}: ${r.status} ${r.text}`);
  return r.body;
}

async function waitFinished(s: TestServer, conversationId: string, sessionId: string): Promise<void> {
  for (;;) {
    const r = await s.api('GET', `/api/conversations/${conversationId}/sessions`);
    const session = r.body.sessions.find((x: { id: string }) => x.id === sessionId);
    if (session && !['pending', 'processing'].includes(session.status)) {
      if (session.status !== 'completed')
        throw new Error(`session ended ${session.status}: ${session.error}`);
      return;
    }
    await sleep(100);
  }
}

async function stampTurn(s: TestServer, conversationId: string, prompt: string): Promise<string> {
  const r = await post(s, `/api/conversations/${conversationId}/messages`, { content: prompt });
  return (r.session as { id: string }).id;
}

async function gmguiLatency(
  s: TestServer,
  conversationId: string,
  clients: number,
): Promise<{ total: Dist; emitToStore: Dist }> {
  const url = `${wsBase(s)}/stream?conversationId=${conversationId}`;
  const sockets = await Promise.all(Array.from({ length: clients }, () => openWs(url, s.token)));
  const { samples, toStore, done } = collectLatency(sockets, LATENCY_CHUNKS);
  const sessionId = await stampTurn(
    s,
    conversationId,
    `stamp chunks=${LATENCY_CHUNKS} size=64 interval=${LATENCY_INTERVAL_MS}`,
  );
  await done;
  await waitFinished(s, conversationId, sessionId);
  for (const ws of sockets) ws.terminate();
  return { total: dist(samples), emitToStore: dist(toStore) };
}

async function flood(s: TestServer, conversationId: string, clients: number) {
  const url = `${wsBase(s)}/stream?conversationId=${conversationId}`;
  const sockets = await Promise.all(Array.from({ length: clients }, () => openWs(url, s.token)));
  const arrivals: number[][] = sockets.map(() => []);
  const created: number[] = [];
  for (const [i, ws] of sockets.entries()) {
    ws.on('message', (data) => {
      const text = String(data);
      if (!text.includes('"type":"text_delta"')) return;
      arrivals[i].push(performance.now());
      if (i === 0) created.push(JSON.parse(text).created_at);
    });
  }
  const sessionId = await stampTurn(s, conversationId, `stamp chunks=${FLOOD_CHUNKS} size=64 interval=0`);
  await waitFinished(s, conversationId, sessionId);
  const deadline = Date.now() + 30_000;
  while (arrivals.some((a) => a.length < FLOOD_CHUNKS) && Date.now() < deadline) await sleep(50);
  for (const ws of sockets) ws.terminate();
  const storedMs = Math.max(1, created[created.length - 1] - created[0]);
  const a0 = arrivals[0];
  return {
    chunks: FLOOD_CHUNKS,
    storedPerSec: (FLOOD_CHUNKS - 1) / (storedMs / 1000),
    deliveredPerSec: (a0.length - 1) / ((a0[a0.length - 1] - a0[0]) / 1000),
    clients,
    allDelivered: arrivals.every((a) => a.length === FLOOD_CHUNKS),
  };
}

/** `nodeOptions`: extra V8 flags for the server process (NODE_OPTIONS), to compare heap settings. */
export async function memoryBench(
  agentsFile: string,
  nodeOptions?: string,
): Promise<StreamBenchResult['memory']> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gmgui-bench-mem-'));
  const rootDir = await mkdtemp(join(tmpdir(), 'gmgui-bench-root-'));
  let s: TestServer | null = null;
  const sockets: WebSocket[] = [];
  try {
    const conversations = 100;
    const cursors = await seedDeltaHistories(dataDir, rootDir, Array(conversations).fill(1_000), 'stamp');
    s = await startServer({
      dataDir,
      rootDir,
      env: { GMGUI_AGENTS_FILE: agentsFile, ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) },
    });
    const pid = s.proc.pid as number;
    await sleep(1_000);
    const idleMb = rssMb(pid);
    let peakMb = idleMb;
    const sampler = setInterval(() => {
      peakMb = Math.max(peakMb, rssMb(pid));
    }, 50);
    // The web client's pattern: one /ws socket each, following sync and its conversation from the start.
    const caughtUp: Promise<void>[] = [];
    for (let i = 0; i < conversations; i++) {
      const ws = await openWs(`${wsBase(s)}/ws`, s.token);
      sockets.push(ws);
      caughtUp.push(
        new Promise<void>((resolve) => {
          let got = 0;
          ws.on('message', (d) => {
            if (String(d).includes('"type":"text_delta"') && ++got === 1_000) resolve();
          });
        }),
      );
      ws.send(JSON.stringify({ op: 'subscribe', stream: 'sync' }));
      ws.send(
        JSON.stringify({ op: 'subscribe', stream: 'conversation', conversationId: cursors[i].id, after: 0 }),
      );
    }
    await Promise.all(caughtUp);
    // And a live turn while they are all connected.
    const sessionId = await stampTurn(s, cursors[0].id, 'stamp chunks=300 size=64 interval=5');
    await waitFinished(s, cursors[0].id, sessionId);
    await sleep(500);
    clearInterval(sampler);
    const afterMb = rssMb(pid);
    return { conversations, clients: sockets.length, idleMb, peakMb: Math.max(peakMb, afterMb), afterMb };
  } finally {
    for (const ws of sockets) ws.terminate();
    await s?.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(rootDir, { recursive: true, force: true });
  }
}

/** Emit-to-arrival at 1, 10 and 100 clients, each level right after the bare baseline at the same level. */
export async function latencyBench(
  s: TestServer,
  conversationId: string,
  barePort: number,
): Promise<StreamBenchResult['latency']> {
  const latency: StreamBenchResult['latency'] = [];
  for (const clients of [1, 10, 100]) {
    log(`latency at ${clients} client(s)`);
    const b = await bareLatency(barePort, clients);
    const g = await gmguiLatency(s, conversationId, clients);
    latency.push({
      clients,
      gmgui: g.total,
      emitToStore: g.emitToStore,
      bare: b,
      ratioP50: g.total.p50 / b.p50,
      ratioP99: g.total.p99 / b.p99,
    });
  }
  return latency;
}

export async function runStreamBench(): Promise<StreamBenchResult> {
  const agentsDir = await mkdtemp(join(tmpdir(), 'gmgui-bench-agents-'));
  const agentsFile = await writeStampAgentsFile(agentsDir);
  const bare = await startBare();
  let s: TestServer | null = null;
  try {
    s = await startServer({ env: { GMGUI_AGENTS_FILE: agentsFile } });
    const conv = (await post(s, '/api/conversations', { agentId: 'stamp', cwd: s.rootDir })).conversation as {
      id: string;
    };
    // Warm-up: the agent process starts on the first turn; its start-up is not what we measure.
    await waitFinished(s, conv.id, await stampTurn(s, conv.id, 'stamp chunks=20 interval=5'));
    await bareLatency(bare.port, 1);

    const latency = await latencyBench(s, conv.id, bare.port);
    log(`flood of ${FLOOD_CHUNKS} chunks to 10 clients`);
    const floodResult = await flood(s, conv.id, 10);
    await s.stop();
    s = null;

    log('resume with after');
    const resume = await resumeBench();
    log('memory with 100 conversations and 100 clients');
    const memory = await memoryBench(agentsFile);
    const memorySmallYoungGen = await memoryBench(agentsFile, SMALL_YOUNG_GEN);
    const resumeRatio = resume[1].nearEndMs / resume[0].nearEndMs;
    const at10 = latency.find((l) => l.clients === 10);
    return {
      latency,
      flood: floodResult,
      resume,
      resumeRatio,
      memory,
      memorySmallYoungGen,
      targets: {
        p99At10ClientsUnder20ms: !!at10 && at10.gmgui.p99 < 20,
        resumeRatioAtMost2: resumeRatio <= 2 && resume[1].middleMs / resume[0].middleMs <= 2,
        memoryUnder150Mb: memory.peakMb < 150,
      },
    };
  } finally {
    await s?.stop();
    bare.proc.stdin?.end();
    bare.proc.kill();
    await rm(agentsDir, { recursive: true, force: true });
  }
}

export function printStreamBench(r: StreamBenchResult): void {
  const ms = (x: number) => `${x.toFixed(2)} ms`;
  console.log(
    `  emit → arrival latency, ${LATENCY_CHUNKS} chunks every ${LATENCY_INTERVAL_MS} ms, every chunk stored (SQLite, synchronous=FULL) before it is sent:`,
  );
  for (const l of r.latency) {
    console.log(
      `    ${String(l.clients).padStart(3)} client(s): gmgui p50 ${ms(l.gmgui.p50)}  p99 ${ms(l.gmgui.p99)}   |  bare ws push p50 ${ms(l.bare.p50)}  p99 ${ms(l.bare.p99)}   |  ratio p50 ${l.ratioP50.toFixed(1)}×  p99 ${l.ratioP99.toFixed(1)}×`,
    );
    console.log(
      `          of which emission → store transaction (runner batching; whole-ms clock): p50 ${ms(l.emitToStore.p50)}  p99 ${ms(l.emitToStore.p99)}`,
    );
  }
  const f = r.flood;
  console.log(
    `  flood: ${f.chunks} chunks stored at ${f.storedPerSec.toFixed(0)} chunks/s while ${f.clients} clients received them (${f.deliveredPerSec.toFixed(0)}/s each); all delivered: ${f.allDelivered}`,
  );
  for (const x of r.resume) {
    console.log(
      `  resume with after (100 events) in a conversation of ${x.history.toLocaleString('en')} events: near the end ${ms(x.nearEndMs)}, from the middle ${ms(x.middleMs)}`,
    );
  }
  console.log(`  resume ratio 1,000,000 / 10,000: ${r.resumeRatio.toFixed(2)} (target ≤ 2)`);
  const m = r.memory;
  console.log(
    `  server RSS, ${m.conversations} conversations and ${m.clients} clients (each on /ws: sync + its conversation from 0): idle ${m.idleMb.toFixed(0)} MB, peak ${m.peakMb.toFixed(0)} MB, after ${m.afterMb.toFixed(0)} MB (target < 150)`,
  );
  const y = r.memorySmallYoungGen;
  console.log(
    `    the same with NODE_OPTIONS=${SMALL_YOUNG_GEN}: idle ${y.idleMb.toFixed(0)} MB, peak ${y.peakMb.toFixed(0)} MB, after ${y.afterMb.toFixed(0)} MB`,
  );
  console.log(
    `  targets: p99 < 20 ms at 10 clients ${r.targets.p99At10ClientsUnder20ms ? 'MET' : 'MISSED'}; resume ratio ≤ 2 ${r.targets.resumeRatioAtMost2 ? 'MET' : 'MISSED'}; memory < 150 MB ${r.targets.memoryUnder150Mb ? 'MET' : 'MISSED'}`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  printStreamBench(await runStreamBench());
}
