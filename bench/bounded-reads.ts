import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import WebSocket from 'ws';
import { startServer, type TestServer } from '../test/helpers/server.ts';
import { type LongTurn, seedLongTurn } from '../test/stream/bounded-seed.ts';

// Bounded history reads (issue 10), against the real server process (the bundle `npm start` runs):
// a 60 MB agent turn, written through the runner's own commands before the server starts, is read
// 1. by 8 clients at once, each following every page of GET /api/sessions/{id} as the web client does;
// 2. by 40 WebSocket clients that subscribe with after=0 and then never read a byte.
// Meanwhile /api/health is probed back to back and the server's RSS sampled. Baselines from this run:
// health latency and RSS with no load. Targets: RSS under 300 MB, health p99 under 100 ms.
// Two turns: one `completed` (its closing events repeat the whole answer, as the runner stores them:
// tens of MB each, streamed from the store in slices) and one that ended in `error` (the same output,
// no answer repeated). The targets are judged on the readers of either turn; the stalled
// sockets are reported against them too, separately.
// Runs alone: node --import tsx bench/bounded-reads.ts

const TURN_BYTES = 60 * 1024 * 1024;
const READERS = 8;
const SOCKETS = 40;

interface Dist {
  p50: number;
  p99: number;
  max: number;
  n: number;
}

interface Phase {
  health: Dist;
  peakRssMb: number;
  seconds: number;
}

export interface BoundedReadsResult {
  turnMb: number;
  events: number;
  idle: { health: Dist; rssMb: number };
  readers: Array<
    Phase & { turn: 'completed' | 'error'; bytesPerReaderMb: number; pages: number; largestPageMb: number }
  >;
  sockets: Phase & { clients: number };
  ratios: {
    healthP99UnderReaders: number;
    healthP99UnderCompleted: number;
    healthP99UnderSockets: number;
    peakRssOverIdle: number;
  };
  /** The targets for the 8 readers of both turns (the "must show"). */
  targets: { rssUnder300Mb: boolean; healthP99Under100ms: boolean };
  /** The same targets for the stalled sockets. */
  socketTargets: { rssUnder300Mb: boolean; healthP99Under100ms: boolean };
}

const log = (s: string) => process.stderr.write(`  … ${s}\n`);

function dist(xs: number[]): Dist {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99), max: s.at(-1) ?? Number.NaN, n: s.length };
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/**
 * Probes /api/health back to back from a worker thread (so the readers in this process do not delay the
 * probes) and samples the server's RSS until `stop()`; returns the latencies and the peak.
 */
function monitor(s: TestServer): { stop(): Promise<{ health: Dist; peakRssMb: number }> } {
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(s.proc.pid as number));
  }, 10);
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
    let running = true;
    const latencies = [];
    parentPort.on('message', () => { running = false; });
    (async () => {
      while (running) {
        const t = performance.now();
        const r = await fetch(workerData.url);
        await r.arrayBuffer();
        latencies.push(performance.now() - t);
        await new Promise((w) => setTimeout(w, 5));
      }
      parentPort.postMessage(latencies);
    })();`,
    { eval: true, workerData: { url: `${s.base}/api/health` } },
  );
  const result = new Promise<number[]>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    async stop() {
      worker.postMessage('stop');
      const latencies = await result;
      await worker.terminate();
      clearInterval(sampler);
      peak = Math.max(peak, rssMb(s.proc.pid as number));
      return { health: dist(latencies), peakRssMb: peak };
    },
  };
}

/** One reader following every page of the session: bytes read, pages, largest page. */
async function readAllPages(
  s: TestServer,
  sessionId: string,
): Promise<{ bytes: number; pages: number; largest: number }> {
  let bytes = 0;
  let pages = 0;
  let largest = 0;
  let path = `/api/sessions/${sessionId}`;
  for (;;) {
    const r = await fetch(`${s.base}${path}`, { headers: { authorization: `Bearer ${s.token}` } });
    const body = Buffer.from(await r.arrayBuffer());
    if (r.status !== 200) throw new Error(`page ${pages}: ${r.status} ${body.toString().slice(0, 200)}`);
    bytes += body.length;
    largest = Math.max(largest, body.length);
    pages++;
    // The cursor closes the page: no need to parse megabytes here to find it.
    const next = /"nextAfter":(\d+|null)}$/.exec(body.subarray(-40).toString())?.[1];
    if (next === undefined) throw new Error(`page ${pages} does not end with nextAfter`);
    if (next === 'null') return { bytes, pages, largest };
    path = `/api/sessions/${sessionId}?after=${next}`;
  }
}

async function readersPhase(s: TestServer, turn: LongTurn, kind: 'completed' | 'error') {
  await new Promise((w) => setTimeout(w, 1_000));
  const m = monitor(s);
  const started = performance.now();
  const reads = await Promise.all(Array.from({ length: READERS }, () => readAllPages(s, turn.sessionId)));
  const seconds = (performance.now() - started) / 1000;
  const { health, peakRssMb } = await m.stop();
  return {
    turn: kind,
    health,
    peakRssMb,
    seconds,
    bytesPerReaderMb: reads[0].bytes / 2 ** 20,
    pages: reads[0].pages,
    largestPageMb: reads[0].largest / 2 ** 20,
  };
}

/** Clients that subscribe from the start of the log and never read: the server must pause them, not buffer. */
async function socketsPhase(s: TestServer, turn: LongTurn) {
  await new Promise((w) => setTimeout(w, 1_000));
  const m = monitor(s);
  const started = performance.now();
  const url = `${s.base.replace(/^http/, 'ws')}/stream?conversationId=${turn.conversationId}&after=0`;
  const sockets = await Promise.all(
    Array.from(
      { length: SOCKETS },
      () =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(url, { headers: { authorization: `Bearer ${s.token}` } });
          ws.once('upgrade', (res) => res.socket.pause());
          ws.once('open', () => resolve(ws));
          ws.once('error', reject);
        }),
    ),
  );
  // Long enough for every subscription to fill its socket and be paused.
  await new Promise((w) => setTimeout(w, 5_000));
  const seconds = (performance.now() - started) / 1000;
  const { health, peakRssMb } = await m.stop();
  for (const ws of sockets) ws.terminate();
  return { clients: SOCKETS, health, peakRssMb, seconds };
}

/** A fresh server on the seeded data dir, so one phase's memory does not count in the next one's. */
async function fresh(
  dirs: { dataDir: string; rootDir: string },
  prev: TestServer | null,
): Promise<TestServer> {
  await prev?.stop();
  const s = await startServer(dirs);
  await new Promise((w) => setTimeout(w, 1_000));
  return s;
}

export async function runBoundedReadsBench(): Promise<BoundedReadsResult> {
  let s: TestServer | null = null;
  let first: TestServer | null = null;
  try {
    let completed: LongTurn | undefined;
    let failed: LongTurn | undefined;
    log(`seeding two ${TURN_BYTES / 2 ** 20} MB turns`);
    first = s = await startServer({
      prepare: async ({ dataDir, rootDir }) => {
        completed = await seedLongTurn(dataDir, { cwd: rootDir, outputBytes: TURN_BYTES });
        failed = await seedLongTurn(dataDir, { cwd: rootDir, outputBytes: TURN_BYTES, finish: 'error' });
      },
    });
    if (!completed || !failed) throw new Error('seeding failed');
    const dirs = { dataDir: s.dataDir, rootDir: s.rootDir, token: s.token };
    await new Promise((w) => setTimeout(w, 2_000));
    const idleMonitor = monitor(s);
    await new Promise((w) => setTimeout(w, 3_000));
    const idleRun = await idleMonitor.stop();
    const idle = { health: idleRun.health, rssMb: rssMb(s.proc.pid as number) };
    log(`idle: health p99 ${idle.health.p99.toFixed(1)} ms, RSS ${idle.rssMb.toFixed(0)} MB`);
    const readers = [];
    for (const [turn, kind] of [
      [failed, 'error'],
      [completed, 'completed'],
    ] as const) {
      s = await fresh(dirs, s);
      const r = await readersPhase(s, turn, kind);
      log(
        `${READERS} readers, ${kind} turn: ${r.seconds.toFixed(1)} s, health p99 ${r.health.p99.toFixed(1)} ms, peak RSS ${r.peakRssMb.toFixed(0)} MB`,
      );
      readers.push(r);
    }
    s = await fresh(dirs, s);
    const sockets = await socketsPhase(s, failed);
    log(
      `${SOCKETS} stalled sockets: health p99 ${sockets.health.p99.toFixed(1)} ms, peak RSS ${sockets.peakRssMb.toFixed(0)} MB`,
    );
    const worstP99 = Math.max(...readers.map((r) => r.health.p99));
    const peak = Math.max(...readers.map((r) => r.peakRssMb));
    return {
      turnMb: completed.outputBytes / 2 ** 20,
      events: completed.events,
      idle,
      readers,
      sockets,
      ratios: {
        healthP99UnderReaders: readers[0].health.p99 / idle.health.p99,
        healthP99UnderCompleted: readers[1].health.p99 / idle.health.p99,
        healthP99UnderSockets: sockets.health.p99 / idle.health.p99,
        peakRssOverIdle: peak / idle.rssMb,
      },
      targets: { rssUnder300Mb: peak < 300, healthP99Under100ms: worstP99 < 100 },
      socketTargets: {
        rssUnder300Mb: sockets.peakRssMb < 300,
        healthP99Under100ms: sockets.health.p99 < 100,
      },
    };
  } finally {
    await s?.stop();
    await first?.cleanup();
  }
}

export function printBoundedReadsBench(r: BoundedReadsResult): void {
  const ms = (d: Dist) =>
    `p50 ${d.p50.toFixed(1)} ms  p99 ${d.p99.toFixed(1)} ms  max ${d.max.toFixed(1)} ms  (${d.n} probes)`;
  console.log(
    `bounded history reads of a ${r.turnMb.toFixed(0)} MB turn (${r.events.toLocaleString('en')} output events):`,
  );
  console.log(`  idle (baseline):      /api/health ${ms(r.idle.health)}; RSS ${r.idle.rssMb.toFixed(0)} MB`);
  for (const x of r.readers) {
    console.log(
      `  ${READERS} readers, ${x.turn.padEnd(9)}: /api/health ${ms(x.health)}; peak RSS ${x.peakRssMb.toFixed(0)} MB; ` +
        `${x.pages} pages, ${x.bytesPerReaderMb.toFixed(0)} MB each, largest page ${x.largestPageMb.toFixed(1)} MB, ${x.seconds.toFixed(1)} s`,
    );
  }
  console.log(
    `  ${r.sockets.clients} stalled sockets:   /api/health ${ms(r.sockets.health)}; peak RSS ${r.sockets.peakRssMb.toFixed(0)} MB`,
  );
  console.log(
    `  ratios to idle: health p99 ×${r.ratios.healthP99UnderReaders.toFixed(1)} under ${READERS} readers of the error turn, ` +
      `×${r.ratios.healthP99UnderCompleted.toFixed(1)} of the completed turn, ` +
      `×${r.ratios.healthP99UnderSockets.toFixed(1)} under stalled sockets; peak RSS of the readers ×${r.ratios.peakRssOverIdle.toFixed(1)}`,
  );
  const met = (t: boolean) => (t ? 'met' : 'MISSED');
  console.log(
    `  targets, ${READERS} readers of either turn: RSS < 300 MB ${met(r.targets.rssUnder300Mb)}; ` +
      `health p99 < 100 ms ${met(r.targets.healthP99Under100ms)}` +
      ` | stalled sockets: RSS ${met(r.socketTargets.rssUnder300Mb)}; p99 ${met(r.socketTargets.healthP99Under100ms)}`,
  );
  if (r.idle.health.p99 > 50)
    console.log(
      `  (the idle baseline's p99 is already ${r.idle.health.p99.toFixed(0)} ms: the machine is busy, read the ratios)`,
    );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printBoundedReadsBench(await runBoundedReadsBench());
}
