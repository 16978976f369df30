import { join } from 'node:path';

// What a keeper and the server say to each other over the keeper's Unix socket (docs/DESIGN.md
// "Process model"). The socket carries newline-delimited JSON: the agent's own ACP messages, relayed
// as they are, and the keeper's control lines, told apart by their `keeper` field (an ACP message
// never has one). Request ids the server sends are rewritten by the keeper to `k<generation>.<id>`,
// so the requests of a server that died can never be confused with those of the one that replaced it.

/** What the server writes to `<id>.spec.json` for the keeper to start the agent. */
export interface KeeperSpec {
  id: string;
  /** The keepers folder of the data dir (mode 0700). */
  dir: string;
  command: string;
  args: string[];
  cwd: string;
  conversationId: string;
  agentId: string;
  /** With no server attached and no turn owed, the agent is stopped after this long. */
  idleMs: number;
  /** What the agent says during one turn is kept up to this many bytes (GMGUI_AGENT_MAX_TURN_BYTES). */
  maxSpoolBytes: number;
  /** A line longer than this is passed on cut (GMGUI_AGENT_MAX_MESSAGE_BYTES): the server calls it a flood. */
  maxLineBytes: number;
}

/** `<id>.json`, written by the keeper once the agent runs, removed when it exits. */
export interface KeeperMeta {
  id: string;
  keeperPid: number;
  agentPid: number;
  conversationId: string;
  agentId: string;
}

export type JsonRpcId = string | number;

export const KEEPER_PROTOCOL = 1;

/** keeper → server */
export type KeeperSays =
  | {
      keeper: 'hello';
      /** This protocol's version: a server of another build checks it before it attaches. */
      version: number;
      agentPid: number | null;
      /** The agent's answer to `initialize`, and the ACP session it opened or loaded. */
      init: unknown;
      acpSessionId: string | null;
    }
  | {
      keeper: 'replay';
      /** The agent-side id of the last session/prompt, whose answer the new server adopts. */
      prompt: string | null;
      /** Requests the agent made that nobody answered yet: the replayed copies are served again. */
      pendingAgent: JsonRpcId[];
      /** How many spooled lines follow; over the bound, the spool stopped (`overflow`). */
      lines: number;
      overflow: boolean;
    }
  | { keeper: 'live' }
  | {
      keeper: 'exit';
      code: number | null;
      signal: string | null;
      /** The code (ENOENT, EACCES…) when the agent could not be started at all. */
      spawnError?: string;
      /** The end of what the agent wrote on stderr, for the error message. */
      stderrTail: string;
    };

/** server → keeper */
export type ServerSays = { keeper: 'resume'; replay: boolean } | { keeper: 'stop' };

export const keepersDir = (dataDir: string): string => join(dataDir, 'keepers');

export function keeperPaths(dir: string, id: string) {
  return {
    sock: join(dir, `${id}.sock`),
    meta: join(dir, `${id}.json`),
    spec: join(dir, `${id}.spec.json`),
    spool: join(dir, `${id}.spool`),
    log: join(dir, `${id}.log`),
  };
}

/** True for a control line (not an ACP message). */
export function isControl(m: unknown): m is { keeper: string } {
  return typeof m === 'object' && m !== null && typeof (m as { keeper?: unknown }).keeper === 'string';
}

/** A JSON-RPC id as a map key (1 and "1" are different ids). */
export const idKey = (id: unknown): string => JSON.stringify(id);

/**
 * Splits a byte stream into lines; `onLine` gets each complete one without its newline. A line that
 * never ends is passed on once it is longer than `maxLine` (then dropped up to its newline), so the
 * reader sees a flood rather than silence. Bytes are kept until a line is whole, so a character split
 * across chunks is decoded whole, and each chunk is searched once (an endless line costs no rescans).
 */
export function lineSplitter(
  onLine: (line: string) => void,
  maxLine = Number.POSITIVE_INFINITY,
): (chunk: Buffer) => void {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let skipping = false;
  const emit = (line: Buffer) => {
    const text = line.toString('utf8');
    if (text.trim()) onLine(text);
  };
  return (chunk) => {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (!skipping) emit(pending.length ? Buffer.concat([...pending, piece]) : piece);
      skipping = false;
      pending = [];
      pendingBytes = 0;
    }
    if (start >= chunk.length || skipping) return;
    const rest = chunk.subarray(start);
    pending.push(rest);
    pendingBytes += rest.length;
    if (pendingBytes > maxLine) {
      emit(Buffer.concat(pending));
      pending = [];
      pendingBytes = 0;
      skipping = true;
    }
  };
}
