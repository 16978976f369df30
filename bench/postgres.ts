import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createTestDatabase,
  pgUnreachableReason,
  redactedAdminUrl,
  sql,
  type TestDatabase,
} from '../test/helpers/pg.ts';
import { startServer, type TestServer } from '../test/helpers/server.ts';
import { type Client, isFinish, stampOf, stream, writeStampAgentsFile } from '../test/stream/helpers.ts';

// PostgreSQL bench (issue 6): real server processes, measured in the same run as a single SQLite instance:
// 1. durable sends/s: POST /messages (with an idempotency key, as the web client sends them) answered 201,
//    i.e. committed, from 16 concurrent clients spread over the instances and over 4 conversations;
// 2. chunk fan-out latency: an agent stamps each chunk with its emission time; a /stream client measures
//    emission → arrival, on the instance running the turn and (PostgreSQL) on the other instance.
// The sends do not start agent turns: each conversation is kept busy by a turn that waits, so every
// send queues as `pending` and the runner stays idle; what is measured is the write path alone.

const CONVERSATIONS = 4;
const CONCURRENCY = 16;
const SENDS = 600;
const WARMUP = 40;
const CHUNKS = 200;
const HOLD = 'stamp chunks=1 interval=600000';

export interface Percentiles {
  p50: number;
  p95: number;
  max: number;
  n: number;
}

export interface FanoutFigures {
  /** Client on the instance that runs the turn. */
  sameInstance: Percentiles;
  /** Client on another instance (PostgreSQL only). */
  otherInstance?: Percentiles;
}

export interface PostgresBenchResult {
  sqlite: { sendsPerSec: number; fanout: FanoutFigures };
  postgres: { instances: number; sendsPerSec: number; fanout: FanoutFigures };
}

function percentiles(values: number[]): Percentiles {
  const v = [...values].sort((x, y) => x - y);
  const at = (q: number) => v[Math.min(v.length - 1, Math.floor(q * v.length))] ?? Number.NaN;
  return { p50: at(0.5), p95: at(0.95), max: v.at(-1) ?? Number.NaN, n: v.length };
}

const wallNow = () => performance.timeOrigin + performance.now();

async function newConversation(s: TestServer): Promise<string> {
  const r = await s.api('POST', '/api/conversations', { agentId: 'stamp', cwd: s.rootDir });
  if (r.status !== 201) throw new Error(`create conversation: ${r.status} ${r.text}`);
  return r.body.conversation.id as string;
}

async function post(s: TestServer, cid: string, content: string, key: string): Promise<string> {
  const r = await s.api(
    'POST',
    `/api/conversations/${cid}/messages`,
    { content },
    { 'idempotency-key': key },
  );
  if (r.status !== 201) throw new Error(`send: ${r.status} ${r.text}`);
  return r.body.session.id as string;
}

/** Which server runs a session: its lease owner is "<pid>-<random>". Null on SQLite (one instance). */
async function runnerOf(dbUrl: string, servers: TestServer[], sessionId: string): Promise<TestServer> {
  for (let i = 0; i < 500; i++) {
    const [row] = await sql<{ lease_owner: string | null }>(
      dbUrl,
      'SELECT lease_owner FROM sessions WHERE id = $1',
      [sessionId],
    );
    const owner = row?.lease_owner;
    const s = owner ? servers.find((x) => owner.startsWith(`${x.proc.pid}-`)) : undefined;
    if (s) return s;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no instance claimed the fan-out turn');
}

/** Emission → arrival of every stamped chunk a client received for the session. */
function latencies(c: Client, arrivals: Map<number, number>, sessionId: string): number[] {
  const out: number[] = [];
  for (const e of c.events) {
    if (e.type !== 'text_delta' || e.sessionId !== sessionId) continue;
    const stamp = stampOf(String(e.text));
    const at = arrivals.get(e.seq);
    if (stamp !== null && at !== undefined) out.push(at - stamp);
  }
  return out;
}

/** A /stream client that also notes when each event arrived. */
function timedStream(
  s: TestServer,
  cid: string,
  after: number,
): { client: Client; arrivals: Map<number, number> } {
  const client = stream(s, cid, after);
  const arrivals = new Map<number, number>();
  client.ws.on('message', (data) => {
    const seq = (JSON.parse(String(data)) as { seq?: number }).seq;
    if (typeof seq === 'number' && !arrivals.has(seq)) arrivals.set(seq, wallNow());
  });
  return { client, arrivals };
}

async function fanout(servers: TestServer[], dbUrl: string | null): Promise<FanoutFigures> {
  const cid = await newConversation(servers[0]);
  const after = (await servers[0].api('GET', `/api/conversations/${cid}/events?after=0&limit=1`)).body
    .lastSeq as number;
  const watchers = servers.map((s) => ({ server: s, ...timedStream(s, cid, after) }));
  try {
    await Promise.all(watchers.map((w) => w.client.opened));
    const sid = await post(servers[0], cid, `stamp chunks=${CHUNKS} size=64 interval=10`, `fanout-${cid}`);
    const runner = dbUrl ? await runnerOf(dbUrl, servers, sid) : servers[0];
    await Promise.all(
      watchers.map((w) =>
        w.client.until(() => w.client.events.some((e) => isFinish(e, sid)), 60_000, 'fan-out turn'),
      ),
    );
    const same = watchers.find((w) => w.server === runner)!;
    const other = watchers.find((w) => w.server !== runner);
    return {
      sameInstance: percentiles(latencies(same.client, same.arrivals, sid)),
      ...(other ? { otherInstance: percentiles(latencies(other.client, other.arrivals, sid)) } : {}),
    };
  } finally {
    for (const w of watchers) w.client.ws.terminate();
  }
}

async function sends(servers: TestServer[]): Promise<number> {
  // Busy conversations: their first turn waits for ten minutes, so every later send only queues.
  const cids: string[] = [];
  const holds: string[] = [];
  for (let i = 0; i < CONVERSATIONS; i++) {
    const cid = await newConversation(servers[i % servers.length]);
    holds.push(await post(servers[i % servers.length], cid, HOLD, `hold-${cid}`));
    cids.push(cid);
  }
  // Agent processes starting up eat CPU: measure only once every holding turn has its agent running.
  for (const sid of holds) {
    for (let i = 0; ; i++) {
      const s = (await servers[0].api('GET', `/api/sessions/${sid}`)).body.session as {
        promptSent?: boolean;
      };
      if (s.promptSent) break;
      if (i > 600) throw new Error('the holding turns did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const prefix = Math.random().toString(36).slice(2);
  const run = async (count: number, tag: string) => {
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const i = next++;
        await post(
          servers[i % servers.length],
          cids[i % cids.length],
          `message ${tag} ${i}`,
          `${prefix}-${tag}-${i}`,
        );
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  };
  await run(WARMUP, 'warmup');
  const t0 = performance.now();
  await run(SENDS, 'bench');
  return (SENDS / (performance.now() - t0)) * 1000;
}

async function withServers<T>(
  count: number,
  env: Record<string, string>,
  fn: (servers: TestServer[]) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'gmgui-bench-pg-'));
  const agentsFile = await writeStampAgentsFile(dir);
  const token = `bench-${Math.random().toString(36).slice(2)}`;
  const servers: TestServer[] = [];
  try {
    const started = await Promise.all(
      Array.from({ length: count }, () =>
        startServer({
          rootDir: dir,
          token,
          env: { ...env, GMGUI_AGENTS_FILE: agentsFile, LOG_LEVEL: 'error' },
        }),
      ),
    );
    servers.push(...started);
    return await fn(servers);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await Promise.all(servers.map((s) => s.cleanup()));
    await rm(dir, { recursive: true, force: true });
  }
}

/** Null (after a loud message) when PostgreSQL is not reachable. */
export async function runPostgresBench(): Promise<PostgresBenchResult | null> {
  const why = await pgUnreachableReason();
  if (why !== null) {
    const bar = '!'.repeat(78);
    console.warn(
      `\n${bar}\n!! PostgreSQL bench SKIPPED: not reachable at ${redactedAdminUrl()} (${why}).\n` +
        `!! Start PostgreSQL or set GMGUI_TEST_PG_URL to measure two instances on PostgreSQL.\n${bar}\n`,
    );
    return null;
  }
  const sqliteFigures = await withServers(1, {}, async (servers) => ({
    fanout: await fanout(servers, null),
    sendsPerSec: await sends(servers),
  }));
  let db: TestDatabase | null = null;
  try {
    db = await createTestDatabase('bench');
    const url = db.url;
    const pgFigures = await withServers(2, { DATABASE_URL: url }, async (servers) => ({
      fanout: await fanout(servers, url),
      sendsPerSec: await sends(servers),
    }));
    return { sqlite: sqliteFigures, postgres: { instances: 2, ...pgFigures } };
  } finally {
    await db?.drop();
  }
}

const ms = (p: Percentiles) =>
  `p50 ${p.p50.toFixed(1)} ms, p95 ${p.p95.toFixed(1)} ms, max ${p.max.toFixed(1)} ms (${p.n} chunks)`;

export function printPostgresBench(r: PostgresBenchResult | null): void {
  console.log('postgres bench');
  if (!r) {
    console.log('  skipped: PostgreSQL not reachable');
    return;
  }
  console.log(
    `  durable sends/s, ${CONCURRENCY} concurrent clients, ${CONVERSATIONS} conversations (201 = committed):`,
  );
  console.log(`    SQLite, 1 instance:      ${Math.round(r.sqlite.sendsPerSec)} /s`);
  console.log(`    PostgreSQL, ${r.postgres.instances} instances: ${Math.round(r.postgres.sendsPerSec)} /s`);
  console.log(
    `    PostgreSQL / SQLite:     ${((r.postgres.sendsPerSec / r.sqlite.sendsPerSec) * 100).toFixed(0)} %`,
  );
  console.log('  chunk fan-out latency, agent emission → WebSocket client arrival:');
  console.log(`    SQLite, same instance:          ${ms(r.sqlite.fanout.sameInstance)}`);
  console.log(`    PostgreSQL, same instance:      ${ms(r.postgres.fanout.sameInstance)}`);
  if (r.postgres.fanout.otherInstance) {
    console.log(`    PostgreSQL, the other instance: ${ms(r.postgres.fanout.otherInstance)}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  printPostgresBench(await runPostgresBench());
}
