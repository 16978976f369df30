import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { fingerprint } from '../src/commands/idempotency.ts';
import { newId } from '../src/domain/ids.ts';
import { SQLITE_FILE } from '../src/store/open.ts';
import { startServer, type TestServer } from '../test/helpers/server.ts';
import { seedHistory } from './lib/seed-history.ts';

export { seedHistory };

// Store bench (issue 2): durable message sends through the real HTTP server with 100,000 messages
// already stored, against a raw better-sqlite3 transaction writing the same rows at the same
// `synchronous` level (FULL, as the server runs), measured in the same run on a copy of the same
// database; send latency with 1,000 vs 100,000 stored messages; the server's resident memory.
//
// The sends go to a conversation whose agent never answers: the runner claims the first turn and
// waits, every later one stays pending, so what is measured is the store and the HTTP path (the
// runner's own reads after each append are part of the real server and stay in).

const HISTORY = 100_000;
const SMALL_HISTORY = 1_000;
const CONVERSATIONS = 100;
const SENDS_CONC1 = 400;
const SENDS_CONC20 = 2_000;
const LATENCY_SENDS = 300;
const RAW_TXS = 600;

export interface Rate {
  n: number;
  perSec: number;
  p50: number;
  p99: number;
}

export interface StoreBenchResult {
  history: number;
  synchronous: 'FULL';
  conc1: Rate;
  conc20: Rate;
  raw: Rate;
  /** p50 send latency at concurrency 1, sends alternating between the two servers. */
  latencySmallP50: number;
  latencyLargeP50: number;
  rssIdleMb: number;
  rssAfterMb: number;
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

function rate(latencies: number[], wallMs: number): Rate {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    n: sorted.length,
    perSec: (sorted.length / wallMs) * 1000,
    p50: pct(sorted, 50),
    p99: pct(sorted, 99),
  };
}

/**
 * The baseline: what one durable send writes, as a raw better-sqlite3 transaction per send, on a copy
 * of the same database at the same synchronous level: the user message, the conversation's updated_at,
 * the session, their two events and the idempotency record.
 */
export function rawBaseline(file: string, conversationId: string, n: number, tag: string): Rate {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    const insMessage = db.prepare(
      `INSERT INTO messages (id, ord, conversation_id, role, content, session_id, folder_context, created_at)
       VALUES (?, (SELECT coalesce(max(ord), 0) + 1 FROM messages), ?, 'user', ?, ?, NULL, ?)`,
    );
    const touch = db.prepare('UPDATE conversations SET updated_at = ? WHERE id = ? AND updated_at < ?');
    const insSession = db.prepare(
      `INSERT INTO sessions (id, ord, conversation_id, message_id, agent_id, status, created_at, prompt_sent)
       VALUES (?, (SELECT coalesce(max(ord), 0) + 1 FROM sessions), ?, ?, 'demo', 'pending', ?, 0)`,
    );
    const insEvent = db.prepare(
      `INSERT INTO events (type, conversation_id, session_id, lifecycle, created_at, data) VALUES (?, ?, ?, 1, ?, ?)`,
    );
    const insIdem = db.prepare(
      'INSERT INTO idempotency (scope, key, fingerprint, status, body, created_at) VALUES (?, ?, ?, 201, ?, ?)',
    );
    const send = db.transaction((i: number) => {
      const now = Date.now();
      const mid = newId('msg');
      const sid = newId('sess');
      const content = `raw send ${i}`;
      const message = { id: mid, conversationId, role: 'user', content, sessionId: sid, created_at: now };
      const session = {
        id: sid,
        conversationId,
        messageId: mid,
        agentId: 'demo',
        status: 'pending',
        created_at: now,
      };
      insMessage.run(mid, conversationId, JSON.stringify(content), sid, now);
      touch.run(now, conversationId, now);
      insSession.run(sid, conversationId, mid, now);
      insEvent.run('message_created', conversationId, sid, now, JSON.stringify({ message }));
      insEvent.run('session_created', conversationId, sid, now, JSON.stringify({ session }));
      insIdem.run(
        `messages:${conversationId}`,
        `raw-${tag}-${i}`,
        fingerprint({ content }),
        JSON.stringify({ message, session }),
        now,
      );
    });
    const latencies: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const s = performance.now();
      send(i);
      latencies.push(performance.now() - s);
    }
    return rate(latencies, performance.now() - t0);
  } finally {
    db.close();
  }
}

/** Two runs of the same measurement as one: total count over total time; p50 averaged, p99 the worse. */
function pool(a: Rate, b: Rate): Rate {
  const wall = (a.n / a.perSec + b.n / b.perSec) * 1000;
  return {
    n: a.n + b.n,
    perSec: ((a.n + b.n) / wall) * 1000,
    p50: (a.p50 + b.p50) / 2,
    p99: Math.max(a.p99, b.p99),
  };
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** One timed, keyed send; throws unless it was a 201. */
async function timedSend(s: TestServer, cid: string, key: string): Promise<number> {
  const t = performance.now();
  const r = await s.api('POST', `/api/conversations/${cid}/messages`, {
    content: `bench ${key}`,
    idempotencyKey: key,
  });
  const ms = performance.now() - t;
  if (r.status !== 201) throw new Error(`send failed: ${r.status} ${r.text}`);
  return ms;
}

async function sendAt(
  s: TestServer,
  cid: string,
  prefix: string,
  n: number,
  concurrency: number,
): Promise<Rate> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        latencies.push(await timedSend(s, cid, `${prefix}-${i}`));
      }
    }),
  );
  return rate(latencies, performance.now() - t0);
}

async function silentAgentsFile(dir: string): Promise<string> {
  const file = join(dir, 'agents.json');
  // Never answers `initialize`: its first turn waits, every later one stays pending.
  const silent = {
    id: 'bench-silent',
    name: 'Silent',
    command: process.execPath,
    args: ['-e', 'process.stdin.resume()'],
  };
  await writeFile(file, JSON.stringify({ agents: [silent] }));
  return file;
}

async function benchConversation(s: TestServer): Promise<string> {
  const r = await s.api('POST', '/api/conversations', { agentId: 'bench-silent', title: 'bench' });
  if (r.status !== 201) throw new Error(`could not create the bench conversation: ${r.text}`);
  return r.body.conversation.id;
}

export async function runStoreBench(log: (line: string) => void = () => {}): Promise<StoreBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'gmgui-bench-store-'));
  const servers: TestServer[] = [];
  try {
    const rootDir = join(dir, 'root');
    await mkdir(rootDir);
    const agentsFile = await silentAgentsFile(dir);
    const large = join(dir, 'large');
    const small = join(dir, 'small');
    const t = performance.now();
    await seedHistory(large, HISTORY, CONVERSATIONS, rootDir);
    await seedHistory(small, SMALL_HISTORY, 1, rootDir);
    log(
      `seeded ${HISTORY.toLocaleString('en')} + ${SMALL_HISTORY.toLocaleString('en')} messages in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );

    // The raw baseline runs on a copy of the seeded database, before the server opens the original.
    const rawFile = join(dir, 'raw.db');
    await copyFile(join(large, SQLITE_FILE), rawFile);
    const peek = new Database(rawFile, { readonly: true });
    const rawConv = (peek.prepare('SELECT id FROM conversations LIMIT 1').get() as { id: string }).id;
    peek.close();
    // Measured before and again after the server runs (the machine's load drifts); the two are pooled.
    const rawBefore = rawBaseline(rawFile, rawConv, RAW_TXS, 'before');
    log(`raw better-sqlite3: ${rawBefore.perSec.toFixed(0)} tx/s`);

    const env = { GMGUI_AGENTS_FILE: agentsFile, LOG_LEVEL: 'warn' };
    const big = await startServer({ dataDir: large, rootDir, env });
    servers.push(big);
    const pid = big.proc.pid;
    if (pid === undefined) throw new Error('no server pid');
    await new Promise((r) => setTimeout(r, 1000));
    const rssIdleMb = await rssMb(pid);

    // Each phase sends to a new conversation and deletes it afterwards: the queue of pending turns
    // behind the silent agent is then the phase's own, not every earlier phase's too.
    const phase = async <T>(server: TestServer, fn: (cid: string) => Promise<T>): Promise<T> => {
      const cid = await benchConversation(server);
      try {
        return await fn(cid);
      } finally {
        await server.api('DELETE', `/api/conversations/${cid}`);
      }
    };
    await phase(big, (cid) => sendAt(big, cid, 'warmup', 100, 5));
    const conc1 = await phase(big, (cid) => sendAt(big, cid, 'c1', SENDS_CONC1, 1));
    log(`concurrency 1: ${conc1.perSec.toFixed(0)} sends/s`);
    const conc20 = await phase(big, (cid) => sendAt(big, cid, 'c20', SENDS_CONC20, 20));
    log(`concurrency 20: ${conc20.perSec.toFixed(0)} sends/s`);

    // 1,000 vs 100,000 stored: both servers up, sends alternating between them, so that whatever else
    // the machine does falls on both alike.
    const little = await startServer({ dataDir: small, rootDir, env });
    servers.push(little);
    const cidSmall = await benchConversation(little);
    const cidLarge = await benchConversation(big);
    await phase(little, (cid) => sendAt(little, cid, 'warmup', 100, 5));
    const lat = { small: [] as number[], large: [] as number[] };
    for (let i = 0; i < LATENCY_SENDS; i++) {
      lat.small.push(await timedSend(little, cidSmall, `lat-${i}`));
      lat.large.push(await timedSend(big, cidLarge, `lat-${i}`));
    }
    const rssAfterMb = await rssMb(pid);
    const rawAfter = rawBaseline(rawFile, rawConv, RAW_TXS, 'after');
    log(`raw better-sqlite3 again: ${rawAfter.perSec.toFixed(0)} tx/s`);
    const raw = pool(rawBefore, rawAfter);
    return {
      history: HISTORY,
      synchronous: 'FULL',
      conc1,
      conc20,
      raw,
      latencySmallP50: rate(lat.small, 1).p50,
      latencyLargeP50: rate(lat.large, 1).p50,
      rssIdleMb,
      rssAfterMb,
    };
  } finally {
    for (const s of servers) await s.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

export function printStoreBench(r: StoreBenchResult): void {
  const ms = (x: number) => `${x.toFixed(2)} ms`;
  const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
  const ratio1 = r.conc1.perSec / r.raw.perSec;
  const ratio20 = r.conc20.perSec / r.raw.perSec;
  const latRatio = r.latencyLargeP50 / r.latencySmallP50;
  console.log(
    `durable message sends over HTTP, ${r.history.toLocaleString('en')} messages stored, synchronous=${r.synchronous}:`,
  );
  console.log(
    `  concurrency 1:  ${r.conc1.perSec.toFixed(0).padStart(6)} sends/s  p50 ${ms(r.conc1.p50)}  p99 ${ms(r.conc1.p99)}  (${r.conc1.n} sends)`,
  );
  console.log(
    `  concurrency 20: ${r.conc20.perSec.toFixed(0).padStart(6)} sends/s  p50 ${ms(r.conc20.p50)}  p99 ${ms(r.conc20.p99)}  (${r.conc20.n} sends)`,
  );
  console.log(
    `  raw better-sqlite3, one transaction per send (same rows, same db, same synchronous; run before and after): ${r.raw.perSec.toFixed(0)} tx/s  p50 ${ms(r.raw.p50)}  p99 ${ms(r.raw.p99)}`,
  );
  console.log(`  server / raw at concurrency 1:  ${ratio1.toFixed(2)}`);
  console.log(
    `  server / raw at concurrency 20: ${ratio20.toFixed(2)}   target ≥ 0.50  ${verdict(ratio20 >= 0.5)}`,
  );
  console.log('send latency by history size (p50, concurrency 1, alternating between two servers):');
  console.log(
    `  ${SMALL_HISTORY.toLocaleString('en')} stored: ${ms(r.latencySmallP50)}   ${r.history.toLocaleString('en')} stored: ${ms(r.latencyLargeP50)}`,
  );
  console.log(`  ratio ${latRatio.toFixed(2)}   target ≤ 1.30  ${verdict(latRatio <= 1.3)}`);
  console.log('server resident memory (VmRSS):');
  console.log(
    `  idle ${r.rssIdleMb.toFixed(1)} MB, after the run ${r.rssAfterMb.toFixed(1)} MB   target < 100 MB  ${verdict(r.rssAfterMb < 100)}`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log('store bench');
  printStoreBench(await runStoreBench((line) => console.log(`  … ${line}`)));
}
