import type { ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import type WebSocket from 'ws';
import { startServer, type TestServer } from '../test/helpers/server.ts';
import { writeStampAgentsFile } from '../test/stream/helpers.ts';
import { SQLITE_FILE } from '../src/store/open.ts';
import { rawBaseline, seedHistory } from './store.ts';
import { dist, latencyBench, openWs, rssMb, startBare } from './stream.ts';

// Issue 16 "Must show", each figure against a baseline measured in the same run:
// 1. chunk → client p99 at 10 and 100 subscribers of one conversation, every chunk stored first
//    (bench/stream.ts latencyBench; baseline: a bare `ws` server pushing the same frames);
// 2. 1,000 idle /sync clients: server RSS, and a lifecycle event (a new conversation) reaching all of
//    them, p99 from the moment the POST was sent (baseline: the bare server pushing to 1,000 clients);
// 3. single-client send p50 against a bare HTTP round trip p50 plus a raw FULL transaction p50 (the rows
//    one send writes, bench/store.ts rawBaseline); sends at concurrency 20 against raw FULL transactions/s.
// The machine may be shared: the load average is printed with the figures. node --import tsx bench/fanout.ts

const SYNC_CLIENTS = 1_000;
const LIFECYCLE_EVENTS = 10;
const SENDS = 300;
const SENDS_CONC20 = 1_000;
const RAW_TXS = 400;

const log = (s: string) => process.stderr.write(`  … ${s}\n`);
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Opens `n` sockets, a few at a time (a burst of 1,000 handshakes would measure the accept queue). */
async function openMany(n: number, url: string, token?: string): Promise<WebSocket[]> {
  const out: WebSocket[] = [];
  for (let i = 0; i < n; i += 50) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => openWs(url, token)))));
  }
  return out;
}

export interface FanoutBenchResult {
  loadavg: number[];
  chunks: Array<{ clients: number; p50: number; p99: number; bareP99: number; ratioP99: number }>;
  sync: { clients: number; rssMb: number; p50: number; p99: number; bareP99: number; ratioP99: number };
  send: { p50: number; httpP50: number; rawP50: number; ratio: number };
  conc20: { perSec: number; rawPerSec: number; ratio: number };
}

async function syncFanout(s: TestServer, barePort: number): Promise<FanoutBenchResult['sync']> {
  const base = s.base.replace(/^http/, 'ws');
  const sockets = await openMany(SYNC_CLIENTS, `${base}/sync`, s.token);
  await sleep(1_000);
  const rss = rssMb(s.proc.pid as number);
  const samples: number[] = [];
  for (let k = 0; k < LIFECYCLE_EVENTS; k++) {
    const arrived = Promise.all(
      sockets.map(
        (ws) =>
          new Promise<void>((resolve) => {
            const on = (d: WebSocket.RawData) => {
              if (!String(d).includes('"type":"conversation_created"')) return;
              samples.push(now() - sent);
              ws.off('message', on);
              resolve();
            };
            ws.on('message', on);
          }),
      ),
    );
    const sent = now();
    const r = await s.api('POST', '/api/conversations', { agentId: 'demo', title: `fanout ${k}` });
    if (r.status !== 201) throw new Error(`create: ${r.status} ${r.text}`);
    await arrived;
    await sleep(100);
  }
  for (const ws of sockets) ws.terminate();
  // The baseline: the bare server pushing one frame at a time to as many clients.
  const bare = await openMany(SYNC_CLIENTS, `ws://127.0.0.1:${barePort}`);
  const bareSamples: number[] = [];
  const done = Promise.all(
    bare.map(
      (ws) =>
        new Promise<void>((resolve) => {
          let got = 0;
          ws.on('message', (d) => {
            const m = /<t:([\d.]+)>/.exec(String(d));
            if (m) bareSamples.push(now() - Number(m[1]));
            if (++got === LIFECYCLE_EVENTS) resolve();
          });
        }),
    ),
  );
  bare[0].send(JSON.stringify({ n: LIFECYCLE_EVENTS, interval: 100 }));
  await done;
  for (const ws of bare) ws.terminate();
  const g = dist(samples);
  const b = dist(bareSamples);
  return {
    clients: SYNC_CLIENTS,
    rssMb: rss,
    p50: g.p50,
    p99: g.p99,
    bareP99: b.p99,
    ratioP99: g.p99 / b.p99,
  };
}

/** A bare node:http server answering a JSON POST like a send's reply: the HTTP part of a send alone. */
async function bareHttpP50(): Promise<number> {
  const body = JSON.stringify({ message: { id: 'm'.repeat(30), content: 'x'.repeat(40) }, session: {} });
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(201, { 'content-type': 'application/json' }).end(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const xs: number[] = [];
  try {
    for (let i = 0; i < SENDS; i++) {
      const t = performance.now();
      const r = await fetch(`http://127.0.0.1:${port}/api/conversations/x/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer t' },
        body: JSON.stringify({ content: `bench ${i}`, idempotencyKey: `k${i}` }),
      });
      await r.text();
      xs.push(performance.now() - t);
    }
  } finally {
    server.close();
  }
  return dist(xs).p50;
}

async function sends(s: TestServer, cid: string, n: number, conc: number, tag: string) {
  const xs: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (next < n) {
        const i = next++;
        const t = performance.now();
        const r = await s.api('POST', `/api/conversations/${cid}/messages`, {
          content: `bench ${i}`,
          idempotencyKey: `${tag}-${i}`,
        });
        if (r.status !== 201) throw new Error(`send: ${r.status} ${r.text}`);
        xs.push(performance.now() - t);
      }
    }),
  );
  return { p50: dist(xs).p50, perSec: (n / (performance.now() - t0)) * 1000 };
}

export async function runFanoutBench(): Promise<FanoutBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'gmgui-bench-fanout-'));
  const agentsFile = await writeStampAgentsFile(dir);
  const bare: { proc: ChildProcess; port: number } = await startBare();
  let s: TestServer | null = null;
  try {
    s = await startServer({ env: { GMGUI_AGENTS_FILE: agentsFile } });
    const conv = await s.api('POST', '/api/conversations', { agentId: 'stamp', cwd: s.rootDir });
    const cid = conv.body.conversation.id as string;
    // Warm-up: the agent starts on the first turn.
    await s.api('POST', `/api/conversations/${cid}/messages`, { content: 'stamp chunks=20 interval=5' });
    await sleep(2_000);
    log('chunk → client at 1, 10 and 100 subscribers');
    const lat = await latencyBench(s, cid, bare.port);
    const chunks = lat
      .filter((l) => l.clients > 1)
      .map((l) => ({
        clients: l.clients,
        p50: l.gmgui.p50,
        p99: l.gmgui.p99,
        bareP99: l.bare.p99,
        ratioP99: l.ratioP99,
      }));
    log(`${SYNC_CLIENTS} idle /sync clients`);
    const sync = await syncFanout(s, bare.port);
    await s.stop();

    log('single sends against a bare HTTP round trip and a raw FULL transaction');
    // A conversation whose agent never answers (its first turn waits, the rest stay pending): the
    // sends measure the HTTP path and the store, as bench/store.ts does.
    const silentFile = join(dir, 'silent.json');
    const silent = {
      id: 'silent',
      name: 'Silent',
      command: process.execPath,
      args: ['-e', 'process.stdin.resume()'],
    };
    await writeFile(silentFile, JSON.stringify({ agents: [silent] }));
    s = await startServer({ env: { GMGUI_AGENTS_FILE: silentFile } });
    const quiet = await s.api('POST', '/api/conversations', { agentId: 'silent', cwd: s.rootDir });
    const qid = quiet.body.conversation.id as string;
    await sends(s, qid, 50, 5, 'warm');
    const one = await sends(s, qid, SENDS, 1, 'one');
    const twenty = await sends(s, qid, SENDS_CONC20, 20, 'twenty');
    const httpP50 = await bareHttpP50();
    // The raw baseline of bench/store.ts: the rows one send writes, on a copy of a seeded database.
    const seeded = join(dir, 'seeded');
    const root = join(dir, 'root');
    await mkdir(root, { recursive: true });
    await seedHistory(seeded, 1_000, 1, root);
    const rawFile = join(dir, 'raw.db');
    await copyFile(join(seeded, SQLITE_FILE), rawFile);
    const peek = new Database(rawFile, { readonly: true });
    const rawConv = (peek.prepare('SELECT id FROM conversations LIMIT 1').get() as { id: string }).id;
    peek.close();
    const raw = rawBaseline(rawFile, rawConv, RAW_TXS, 'fanout');
    return {
      loadavg: loadavg(),
      chunks,
      sync,
      send: { p50: one.p50, httpP50, rawP50: raw.p50, ratio: one.p50 / (httpP50 + raw.p50) },
      conc20: { perSec: twenty.perSec, rawPerSec: raw.perSec, ratio: twenty.perSec / raw.perSec },
    };
  } finally {
    await s?.stop();
    bare.proc.stdin?.end();
    bare.proc.kill();
    await rm(dir, { recursive: true, force: true });
  }
}

export function printFanoutBench(r: FanoutBenchResult): void {
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  const ok = (b: boolean) => (b ? 'MET' : 'MISSED');
  console.log(`  load average during the run: ${r.loadavg.map((x) => x.toFixed(1)).join(' ')} (2 cores)`);
  for (const c of r.chunks) {
    const target = c.clients >= 100 ? 50 : 20;
    console.log(
      `  chunk → client, ${c.clients} subscribers, every chunk stored: p50 ${ms(c.p50)} p99 ${ms(c.p99)} | bare ws p99 ${ms(c.bareP99)} | ratio ${c.ratioP99.toFixed(1)}×  target p99 < ${target} ms ${ok(c.p99 < target)}`,
    );
  }
  const y = r.sync;
  console.log(
    `  ${y.clients} idle /sync clients: server RSS ${y.rssMb.toFixed(0)} MB (target < 200 ${ok(y.rssMb < 200)}); a lifecycle event to all: p50 ${ms(y.p50)} p99 ${ms(y.p99)} from the POST | bare ws p99 ${ms(y.bareP99)} | ratio ${y.ratioP99.toFixed(1)}×  target p99 < 200 ms ${ok(y.p99 < 200)}`,
  );
  const x = r.send;
  console.log(
    `  single-client send p50 ${ms(x.p50)} vs bare HTTP p50 ${ms(x.httpP50)} + raw FULL tx p50 ${ms(x.rawP50)}: ratio ${x.ratio.toFixed(2)}×  target < 2 ${ok(x.ratio < 2)}`,
  );
  const z = r.conc20;
  console.log(
    `  concurrency-20 sends ${z.perSec.toFixed(0)}/s vs raw FULL tx ${z.rawPerSec.toFixed(0)}/s: ratio ${z.ratio.toFixed(2)}  target ≥ 0.5 ${ok(z.ratio >= 0.5)}`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  printFanoutBench(await runFanoutBench());
}
