import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { type Socket, createServer } from 'node:net';
import {
  KEEPER_PROTOCOL,
  type JsonRpcId,
  type KeeperSays,
  type KeeperSpec,
  type ServerSays,
  idKey,
  isControl,
  keeperPaths,
  lineSplitter,
} from './protocol.ts';

// The keeper (docs/DESIGN.md "Process model"): a small process per agent, in its own session, that
// starts the agent and holds its stdio, so the agent outlives the server. It relays ACP lines between
// the agent and the one server attached on its Unix socket. Every line the agent writes after a
// session/prompt is also kept in the spool (on disk, bounded), so a server that attaches later can
// replay the turn; what is already stored the server skips itself (it counts the turn's stored
// events). The keeper never parses more than ids and methods: it does not understand the turn.
//   node keeper.mjs <spec.json>

type Json = Record<string, unknown>;

const spec = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as KeeperSpec;
const paths = keeperPaths(spec.dir, spec.id);
const KILL_AFTER_TERM_MS = 2000;

let generation = 0;
let conn: Socket | null = null;
let live = false;
let detachedAt = Date.now();
let exitInfo: Extract<KeeperSays, { keeper: 'exit' }> | null = null;
let init: unknown = null;
let acpSessionId: string | null = null;
/** Requests the servers sent, by the id the agent sees. */
const serverPending = new Map<string, { gen: number; orig: JsonRpcId; method: string; sessionId?: string }>();
/** Requests the agent sent and nobody answered, by idKey. */
const agentPending = new Map<string, JsonRpcId>();
let lastPrompt: string | null = null;
/** The prompt's answer arrived while no server listened: the turn is owed to the next one. */
let endUnseen = false;
/** Lines in the spool file, and its size. */
let spoolLines = 0;
let spoolBytes = 0;
let overflow = false;
let spoolFd: number | null = null;

function send(conn: Socket | null, m: KeeperSays | string): void {
  if (!conn || conn.destroyed) return;
  // A server that reads slowly slows the agent down, as a pipe would (it resumes on 'drain').
  if (!conn.write(`${typeof m === 'string' ? m : JSON.stringify(m)}\n`)) agent.stdout.pause();
}

function parse(line: string): Json | null {
  try {
    const v = JSON.parse(line) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null;
  } catch {
    return null;
  }
}

// --- the agent ---

const agent: ChildProcessWithoutNullStreams = spawn(spec.command, spec.args, {
  cwd: spec.cwd,
  env: process.env,
  stdio: ['pipe', 'pipe', 'pipe'],
  // Its own group, so stopping it stops what it started too (as src/agents/agent-process.ts does).
  detached: true,
});
agent.stdin.on('error', () => {});
// Its stderr goes to the keeper's log, and its end to the server when it exits (for the error message).
let stderrTail = '';
agent.stderr.on('data', (chunk: Buffer) => {
  process.stderr.write(chunk);
  stderrTail = (stderrTail + chunk.toString('utf8')).slice(-4096);
});
agent.once('error', (err: NodeJS.ErrnoException) => {
  if (agent.pid === undefined) onAgentExit(null, null, err.code ?? err.message);
});
agent.once('exit', (code, signal) => onAgentExit(code, signal));
if (agent.pid !== undefined) {
  const meta = {
    id: spec.id,
    keeperPid: process.pid,
    agentPid: agent.pid,
    conversationId: spec.conversationId,
    agentId: spec.agentId,
  };
  writeFileSync(`${paths.meta}.tmp`, JSON.stringify(meta), { mode: 0o600 });
  renameSync(`${paths.meta}.tmp`, paths.meta);
}

agent.stdout.on(
  'data',
  lineSplitter((line) => onAgentLine(line), spec.maxLineBytes),
);

function onAgentLine(line: string): void {
  let out = line;
  const m = parse(line);
  if (m && m.id !== undefined && m.id !== null) {
    if (typeof m.method === 'string') agentPending.set(idKey(m.id), m.id as JsonRpcId);
    else out = onAgentAnswer(m, line);
  }
  if (spoolFd !== null && !overflow) {
    const bytes = Buffer.from(`${line}\n`);
    if (spoolBytes + bytes.length > spec.maxSpoolBytes) overflow = true;
    else {
      writeSync(spoolFd, bytes);
      spoolBytes += bytes.length;
      spoolLines++;
    }
  }
  if (live) send(conn, out);
}

/** The agent answered a server's request: note what we keep, and give the id back its own form. */
function onAgentAnswer(m: Json, line: string): string {
  const key = String(m.id);
  const req = serverPending.get(key);
  if (!req) return line;
  serverPending.delete(key);
  const result = m.result as Json | undefined;
  if (req.method === 'initialize' && result) init = result;
  if (req.method === 'session/new' && typeof result?.sessionId === 'string') acpSessionId = result.sessionId;
  if ((req.method === 'session/load' || req.method === 'session/resume') && result && req.sessionId)
    acpSessionId = req.sessionId;
  if (key === lastPrompt && !live) endUnseen = true;
  // The server that asked is still attached: it gets its own id back. Else the new one adopts it.
  if (req.gen === generation && live) return JSON.stringify({ ...m, id: req.orig });
  return line;
}

function onAgentExit(code: number | null, signal: string | null, spawnError?: string): void {
  if (exitInfo) return;
  exitInfo = { keeper: 'exit', code, signal, stderrTail, ...(spawnError ? { spawnError } : {}) };
  send(conn, exitInfo);
  // Let a server that is connecting hear why; then leave nothing behind.
  setTimeout(() => {
    for (const f of [paths.meta, paths.sock, paths.spec, paths.spool]) rmSync(f, { force: true });
    conn?.end();
    process.exit(0);
  }, 300).unref();
  setTimeout(() => process.exit(0), 2000);
}

function signalAgent(sig: NodeJS.Signals): void {
  if (agent.pid === undefined) return;
  try {
    process.kill(-agent.pid, sig);
  } catch {
    // Already gone.
  }
}

function stopAgent(): void {
  if (exitInfo) return;
  agent.stdin.end();
  signalAgent('SIGTERM');
  setTimeout(() => signalAgent('SIGKILL'), KILL_AFTER_TERM_MS).unref();
}

// --- the server ---

function onServerLine(socket: Socket, line: string): void {
  if (socket !== conn) return;
  const m = parse(line);
  if (m && isControl(m)) {
    onControl(socket, m as unknown as ServerSays);
    return;
  }
  if (m && m.id !== undefined && m.id !== null && typeof m.method === 'string') {
    const id = `k${generation}.${String(m.id)}`;
    const params = m.params as Json | undefined;
    const sessionId = typeof params?.sessionId === 'string' ? params.sessionId : undefined;
    serverPending.set(id, { gen: generation, orig: m.id as JsonRpcId, method: m.method, sessionId });
    if (m.method === 'session/prompt') startSpool(id);
    agent.stdin.write(`${JSON.stringify({ ...m, id })}\n`);
    return;
  }
  if (m && m.id !== undefined && m.method === undefined) agentPending.delete(idKey(m.id));
  agent.stdin.write(`${line}\n`);
}

function startSpool(promptId: string): void {
  lastPrompt = promptId;
  endUnseen = false;
  spoolLines = 0;
  spoolBytes = 0;
  overflow = false;
  if (spoolFd !== null) closeSync(spoolFd);
  spoolFd = openSync(paths.spool, 'w', 0o600);
}

function onControl(socket: Socket, c: ServerSays): void {
  if (c.keeper === 'stop') {
    stopAgent();
    return;
  }
  if (c.keeper !== 'resume' || live) return;
  if (c.replay) {
    send(socket, {
      keeper: 'replay',
      prompt: lastPrompt,
      pendingAgent: [...agentPending.values()],
      lines: spoolLines,
      overflow,
    });
    // From the disk: the spool is not held in memory.
    if (spoolLines > 0) for (const l of readFileSync(paths.spool, 'utf8').split('\n')) if (l) send(socket, l);
    endUnseen = false;
  }
  send(socket, { keeper: 'live' });
  live = true;
  if (exitInfo) send(socket, exitInfo);
}

const server = createServer((socket) => {
  // One server at a time: a new one replaces the old (whose process is gone, or going).
  if (conn) conn.destroy();
  generation++;
  conn = socket;
  live = false;
  socket.on('error', () => {});
  socket.on(
    'data',
    lineSplitter((l) => onServerLine(socket, l)),
  );
  socket.on('drain', () => agent.stdout.resume());
  socket.on('close', () => {
    if (conn !== socket) return;
    conn = null;
    agent.stdout.resume();
    live = false;
    detachedAt = Date.now();
  });
  send(socket, {
    keeper: 'hello',
    version: KEEPER_PROTOCOL,
    agentPid: agent.pid ?? null,
    init,
    acpSessionId,
  });
  if (exitInfo) send(socket, exitInfo);
});
rmSync(paths.sock, { force: true });
server.listen(paths.sock);

// An agent nobody attached to and that owes nobody a turn is stopped after idleMs.
setInterval(
  () => {
    const owed = endUnseen || (lastPrompt !== null && serverPending.has(lastPrompt));
    if (!conn && !owed && Date.now() - detachedAt > spec.idleMs) stopAgent();
  },
  Math.min(1000, Math.max(50, spec.idleMs / 4)),
).unref();

process.on('SIGTERM', stopAgent);
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
