// One agent turn (a "session" in the contract's words) as the client shows it.
//
// A SessionView is always the fold of its event log: `log` holds the session's events sorted by
// seq, each seq once. Events usually arrive in order and are folded incrementally; an event that
// arrives out of order (a REST hydration racing the live stream) makes the view refold from the
// whole log, so the result never depends on arrival order.

import { decisionFrom, type DecisionView, permissionFrom, type PermissionView } from './permission';
import type {
  GmEvent,
  Message,
  PlanEntry,
  Session,
  SessionStatus,
  ToolCallContentItem,
  ToolLocation,
  Usage,
} from '../types';
import { sessionErrorText } from '../types';

export interface ToolCallView {
  toolCallId: string;
  title: string;
  kind: string;
  status: string;
  content: ToolCallContentItem[];
  locations: ToolLocation[];
  rawInput?: unknown;
}

export type { DecisionView, PermissionView } from './permission';

/** A command the agent ran and what it printed: live while it runs. */
export interface TerminalView {
  terminalId: string;
  /** The tool call it belongs to, when the agent said (`_meta` terminals); else a tool's content names it. */
  toolCallId: string | null;
  /** The newest TERMINAL_SHOWN characters of its output. */
  output: string;
  /** Characters dropped from the front to keep `output` bounded. */
  dropped: number;
  exit: { exitCode: number | null; signal: string | null } | null;
}

/** What a turn card keeps of one command's output: the end, where a failing build says why. */
export const TERMINAL_SHOWN = 64 * 1024;

/** What the turn shows, in the order the agent produced it. */
export type SessionItem =
  | { kind: 'text'; text: string }
  | { kind: 'thought'; text: string }
  | { kind: 'tool'; toolCallId: string }
  | { kind: 'plan' };

export interface SessionView {
  id: string;
  messageId: string | null;
  /** The session row from a REST snapshot (or the newest one an event carried). */
  base: Session | null;
  status: SessionStatus;
  error: string;
  stopReason: string | null;
  items: SessionItem[];
  tools: Record<string, ToolCallView>;
  plan: PlanEntry[] | null;
  /** Permission requests still waiting for an answer. */
  permissions: PermissionView[];
  /** Requests of this turn that were settled, and how (shown where the question was). */
  decided: DecisionView[];
  /** The assistant message the session ended with, when an event carried it. */
  answer: Message | null;
  /** A cancel was requested and the agent has not stopped yet (status unchanged until it does). */
  stopping: boolean;
  /** The agent's latest token count for this turn, when it reports one. */
  usage: Usage | null;
  /** Output of the commands the agent ran, by terminal id (terminal_output / terminal_exit events). */
  terminals: Record<string, TerminalView>;
  /** Sorted by seq, unique. */
  log: GmEvent[];
  /** True when `log` is known to start at the session's beginning (details can be shown). */
  complete: boolean;
}

export function emptySession(id: string, base: Session | null = null): SessionView {
  return {
    id,
    messageId: base?.messageId ?? null,
    base,
    status: base?.status ?? 'pending',
    error: sessionErrorText(base?.error ?? null),
    stopReason: base?.stopReason ?? null,
    items: [],
    tools: {},
    plan: null,
    permissions: [],
    decided: [],
    answer: null,
    stopping: false,
    usage: null,
    terminals: {},
    log: [],
    complete: false,
  };
}

export const FINISHED: ReadonlySet<string> = new Set(['completed', 'error', 'cancelled', 'interrupted']);

export function isActive(status: SessionStatus): boolean {
  return status === 'pending' || status === 'processing';
}

function str(v: unknown, fallback = ''): string {
  return typeof v === 'string' ? v : fallback;
}

function asObject(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function isSession(v: unknown): v is Session {
  const o = asObject(v);
  return !!o && typeof o.id === 'string' && typeof o.status === 'string';
}

function isMessage(v: unknown): v is Message {
  const o = asObject(v);
  return !!o && typeof o.id === 'string' && typeof o.role === 'string';
}

function asCost(v: unknown): Usage['cost'] {
  const o = asObject(v);
  return o && typeof o.amount === 'number' && typeof o.currency === 'string'
    ? { amount: o.amount, currency: o.currency }
    : null;
}

function appendText(items: SessionItem[], kind: 'text' | 'thought', text: string): SessionItem[] {
  if (!text) return items;
  const last = items[items.length - 1];
  if (last && last.kind === kind) {
    const next = items.slice();
    next[next.length - 1] = { kind, text: last.text + text };
    return next;
  }
  return [...items, { kind, text }];
}

function stepTerminal(all: Record<string, TerminalView>, ev: GmEvent): Record<string, TerminalView> {
  const id = str(ev.terminalId);
  if (!id) return all;
  const prev: TerminalView = all[id] ?? { terminalId: id, toolCallId: null, output: '', dropped: 0, exit: null };
  const next: TerminalView = { ...prev, toolCallId: str(ev.toolCallId) || prev.toolCallId };
  if (ev.type === 'terminal_output') {
    const joined = prev.output + str(ev.data);
    const cut = Math.max(0, joined.length - TERMINAL_SHOWN);
    next.output = cut ? joined.slice(cut) : joined;
    next.dropped = prev.dropped + cut;
  } else {
    next.exit = {
      exitCode: typeof ev.exitCode === 'number' ? ev.exitCode : null,
      signal: typeof ev.signal === 'string' ? ev.signal : null,
    };
  }
  return { ...all, [id]: next };
}

/** The commands a tool call ran: those named in its content, and those the agent tied to it. */
export function terminalsOf(tool: ToolCallView, terminals: Record<string, TerminalView>): TerminalView[] {
  const out: TerminalView[] = [];
  for (const c of tool.content) {
    const t = c.type === 'terminal' && c.terminalId ? terminals[c.terminalId] : undefined;
    if (t) out.push(t);
  }
  for (const t of Object.values(terminals))
    if (t.toolCallId === tool.toolCallId && !out.includes(t)) out.push(t);
  return out;
}

function toolFromEvent(ev: GmEvent, prev: ToolCallView | undefined): ToolCallView {
  const id = str(ev.toolCallId);
  return {
    toolCallId: id,
    title: str(ev.title, prev?.title ?? 'Tool call'),
    kind: str(ev.kind, prev?.kind ?? 'other'),
    status: str(ev.status, prev?.status ?? 'pending'),
    content: Array.isArray(ev.content) ? (ev.content as ToolCallContentItem[]) : (prev?.content ?? []),
    locations: Array.isArray(ev.locations) ? (ev.locations as ToolLocation[]) : (prev?.locations ?? []),
    rawInput: ev.rawInput !== undefined ? ev.rawInput : prev?.rawInput,
  };
}


/** Applies one event to the derived fields (not to `log`). Unknown types change nothing. */
function step(s: SessionView, ev: GmEvent): SessionView {
  switch (ev.type) {
    case 'session_created':
    case 'session_updated': {
      const session = isSession(ev.session) ? ev.session : null;
      const status = (str(ev.status) || session?.status || s.status) as SessionStatus;
      const next: SessionView = {
        ...s,
        base: session ?? s.base,
        messageId: session?.messageId ?? s.messageId,
        status,
        error: ev.error !== undefined ? sessionErrorText(ev.error as Session['error']) : s.error,
        stopReason: session?.stopReason ?? s.stopReason,
      };
      if (session?.error && !next.error) next.error = sessionErrorText(session.error);
      if (isMessage(ev.message)) next.answer = ev.message;
      // `cancelRequested` comes with the unchanged status: the turn is stopping, not stopped.
      if (ev.cancelRequested === true && isActive(status)) next.stopping = true;
      // A finished turn waits for nothing: stale permission cards would be unanswerable.
      if (FINISHED.has(status)) {
        next.permissions = [];
        next.stopping = false;
      }
      return next;
    }
    case 'text_delta':
      return { ...s, items: appendText(s.items, 'text', str(ev.text)) };
    case 'thought_delta':
      return { ...s, items: appendText(s.items, 'thought', str(ev.text)) };
    case 'tool_call':
    case 'tool_update': {
      const id = str(ev.toolCallId);
      if (!id) return s;
      const prev = s.tools[id];
      const tools = { ...s.tools, [id]: toolFromEvent(ev, prev) };
      const items: SessionItem[] = prev ? s.items : [...s.items, { kind: 'tool', toolCallId: id }];
      return { ...s, tools, items };
    }
    case 'plan': {
      const entries = Array.isArray(ev.entries) ? (ev.entries as PlanEntry[]) : [];
      // The plan is replaced whole on every update and shown once, where it first appeared.
      const items: SessionItem[] = s.plan ? s.items : [...s.items, { kind: 'plan' }];
      return { ...s, plan: entries, items };
    }
    case 'permission_requested': {
      const p = permissionFrom(ev);
      if (!p || s.permissions.some((x) => x.requestId === p.requestId)) return s;
      if (s.decided.some((x) => x.requestId === p.requestId)) return s;
      if (FINISHED.has(s.status)) return s;
      return { ...s, permissions: [...s.permissions, p] };
    }
    case 'permission_resolved': {
      const requestId = str(ev.requestId);
      const p = s.permissions.find((x) => x.requestId === requestId);
      if (!p) return s;
      return {
        ...s,
        permissions: s.permissions.filter((x) => x !== p),
        decided: [...s.decided, decisionFrom(p, ev)],
      };
    }
    case 'usage':
      if (typeof ev.used !== 'number' || typeof ev.size !== 'number') return s;
      return { ...s, usage: { used: ev.used, size: ev.size, cost: asCost(ev.cost) } };
    case 'terminal_output':
    case 'terminal_exit':
      return { ...s, terminals: stepTerminal(s.terminals, ev) };
    case 'done':
      return { ...s, stopReason: str(ev.stopReason) || s.stopReason };
    case 'error':
      return { ...s, error: str(ev.message) || s.error };
    default:
      return s;
  }
}

/**
 * Adds events to the session. Seqs already in the log are ignored; in-order events fold
 * incrementally, anything else refolds from the start.
 */
export function addEvents(s: SessionView, events: readonly GmEvent[]): SessionView {
  let cur = s;
  let needRefold = false;
  let log = s.log;
  let copied = false;
  for (const ev of events) {
    const last = log[log.length - 1];
    if (!last || ev.seq > last.seq) {
      if (!copied) {
        log = log.slice();
        copied = true;
      }
      log.push(ev);
      if (!needRefold) cur = step(cur, ev);
      continue;
    }
    // Out of order or duplicate: insert only if the seq is new.
    const idx = lowerBound(log, ev.seq);
    if (log[idx]?.seq === ev.seq) continue;
    if (!copied) {
      log = log.slice();
      copied = true;
    }
    log.splice(idx, 0, ev);
    needRefold = true;
  }
  if (!copied) return s;
  if (needRefold) return refold({ ...s, log });
  return { ...cur, log };
}

function lowerBound(log: readonly GmEvent[], seq: number): number {
  let lo = 0;
  let hi = log.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((log[mid] as GmEvent).seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Recomputes every derived field from `base` and `log`. */
export function refold(s: SessionView): SessionView {
  let cur: SessionView = { ...emptySession(s.id, s.base), log: s.log, complete: s.complete };
  if (!cur.messageId) cur.messageId = s.messageId;
  for (const ev of s.log) cur = step(cur, ev);
  return cur;
}

/** The concatenated answer text streamed so far. */
export function streamedText(s: SessionView): string {
  let out = '';
  for (const it of s.items) if (it.kind === 'text') out += it.text;
  return out;
}

/**
 * Whether a finished turn has steps to show besides its answer (thoughts, tool calls, a plan): its
 * assistant message's `blocks` say so. Unknown (no message, or the older plain-string content): yes.
 */
export function answerHasSteps(answer: Message | null): boolean {
  const c = answer?.content;
  if (!c || typeof c === 'string' || !Array.isArray(c.blocks)) return true;
  return c.blocks.some((b) => {
    const t = b !== null && typeof b === 'object' ? (b as { type?: unknown }).type : undefined;
    return t !== 'text';
  });
}
