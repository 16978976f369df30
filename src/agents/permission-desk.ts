import type * as acp from '@agentclientprotocol/sdk';
import { recordPermissionRequest } from '../commands/permissions.ts';
import { appendAgentOutput } from '../commands/runner.ts';
import { newId } from '../domain/ids.ts';
import type { PermissionOption } from '../domain/types.ts';
import type { Store } from '../store/types.ts';
import type { OutputWriter } from './output-writer.ts';

// The permission requests of one turn (DESIGN.md point 3): each is stored with what it asks made
// visible, and waits for a person (or the conversation's settings answer it at once). What is asked:
// the request's tool call completed with what the turn already knew of that call (agents often send
// the diff or the command in earlier tool_call updates and only the id and title with the request;
// Gemini sends the content with the request and no tool call before it), plus the command line of a
// shell call and the paths it touches. An answer that refuses the call marks the call `rejected`.

const PERMISSION_POLL_MS = 2000;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface DeskDeps {
  store: Store;
  sessionId: string;
  conversationId: string;
  owner: string;
  writer: OutputWriter;
  /** The tool call as the turn knows it so far (its events merged), if it was announced. */
  knownTool(toolCallId: string): Json | undefined;
  /** True once the turn no longer asks anyone (cancel requested, server stopping, turn abandoned). */
  closed(): boolean;
  /** A person (or rule) refused the call. */
  onRejected(toolCallId: string): void;
}

/** A shell-like rendering of a command given as a list of words. */
function joinWords(words: string[]): string {
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** The request's tool call completed with what was known of it; its command line and paths. */
export function describeAsk(
  asked: unknown,
  known: Json | undefined,
): { toolCall: unknown; command?: string; paths?: string[] } {
  const a = isObject(asked) ? asked : {};
  const merged: Json = {};
  if (known) for (const [k, v] of Object.entries(known)) if (k !== 'type' && v !== undefined) merged[k] = v;
  for (const [k, v] of Object.entries(a)) {
    const empty = v === null || v === undefined || (Array.isArray(v) && v.length === 0);
    if (!empty || !(k in merged)) merged[k] = v;
  }
  const raw = isObject(merged.rawInput) ? merged.rawInput : {};
  const cmd = raw.command ?? raw.cmd;
  const command =
    typeof cmd === 'string' && cmd
      ? cmd
      : Array.isArray(cmd) && cmd.length && cmd.every((w) => typeof w === 'string')
        ? joinWords(cmd as string[])
        : undefined;
  const paths = new Set<string>();
  for (const l of Array.isArray(merged.locations) ? merged.locations : [])
    if (isObject(l) && typeof l.path === 'string' && l.path) paths.add(l.path);
  for (const c of Array.isArray(merged.content) ? merged.content : [])
    if (isObject(c) && c.type === 'diff' && typeof c.path === 'string' && c.path) paths.add(c.path);
  for (const key of ['file_path', 'path', 'filePath'])
    if (typeof raw[key] === 'string' && raw[key]) paths.add(raw[key] as string);
  return {
    toolCall: Object.keys(merged).length ? merged : (asked ?? null),
    ...(command ? { command } : {}),
    ...(paths.size ? { paths: [...paths] } : {}),
  };
}

export class PermissionDesk {
  private readonly waiters = new Map<string, (optionId: string | null) => void>();

  constructor(private readonly d: DeskDeps) {}

  async request(params: acp.RequestPermissionRequest): Promise<acp.RequestPermissionResponse> {
    if (this.d.closed()) return { outcome: { outcome: 'cancelled' } };
    const requestId = newId('perm');
    const options: PermissionOption[] = params.options.map((o) => ({
      optionId: o.optionId,
      name: o.name,
      kind: o.kind,
    }));
    const toolCallId =
      isObject(params.toolCall) && typeof params.toolCall.toolCallId === 'string'
        ? params.toolCall.toolCallId
        : null;
    const ask = describeAsk(params.toolCall, toolCallId ? this.d.knownTool(toolCallId) : undefined);
    const answered = new Promise<string | null>((resolve) => this.waiters.set(requestId, resolve));
    const { autoOptionId } = await this.d.writer.run(async (tx, events) => {
      // Buffered output first, then the request: the log keeps the order the agent used.
      await appendAgentOutput(tx, { sessionId: this.d.sessionId, owner: this.d.owner, events });
      return recordPermissionRequest(tx, {
        requestId,
        sessionId: this.d.sessionId,
        conversationId: this.d.conversationId,
        options,
        ...ask,
      });
    });
    if (autoOptionId) {
      this.waiters.delete(requestId);
      return { outcome: { outcome: 'selected', optionId: autoOptionId } };
    }
    // The answer normally arrives through the runner's view of the log; the poll is a safety net.
    const poll = setInterval(async () => {
      const p = await this.d.store.getPermission(this.d.sessionId, requestId).catch(() => null);
      if (p && p.status === 'resolved') this.resolved(requestId, p.optionId);
    }, PERMISSION_POLL_MS);
    try {
      const optionId = await answered;
      if (optionId === null || this.d.closed()) return { outcome: { outcome: 'cancelled' } };
      const kind = options.find((o) => o.optionId === optionId)?.kind ?? '';
      if (toolCallId && kind.startsWith('reject')) this.d.onRejected(toolCallId);
      return { outcome: { outcome: 'selected', optionId } };
    } finally {
      clearInterval(poll);
    }
  }

  /** An answer seen in the store (or null: the request was closed). */
  resolved(requestId: string, optionId: string | null): void {
    const w = this.waiters.get(requestId);
    if (!w) return;
    this.waiters.delete(requestId);
    w(optionId);
  }

  /** Every open request is answered `cancelled` (cancel, stop, turn end). */
  closeAll(): void {
    for (const [id, w] of this.waiters) {
      this.waiters.delete(id);
      w(null);
    }
  }
}
