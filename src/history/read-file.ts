import { isDeepStrictEqual } from 'node:util';
import type { ImportedConversation } from '../commands/record.ts';
import { errors } from '../domain/errors.ts';
import { type AppEvent, type NewAppEvent, parseEvent } from '../domain/events.ts';
import { rebuildFromLog } from '../domain/rebuild.ts';
import {
  type Conversation,
  ConversationSchema,
  FINISHED_STATUSES,
  type PermissionRequest,
  type StoredEvent,
} from '../domain/types.ts';
import { contentLine, EXPORT_FORMAT, EXPORT_VERSION, LineHash } from './format.ts';

// Reads and verifies a JSONL export (format.ts) before anything is written: the header, every event
// against the typed event union (src/domain/events.ts), the trailer's counts and checksum, and that the
// conversation row is exactly what its own log rebuilds (src/domain/rebuild.ts). Any doubt refuses the
// whole file (422 import_invalid), so an import is all or nothing from its first check.

export interface ImportPlan extends ImportedConversation {
  /** SHA-256 over the events' content without seq (format.ts contentLine): what "the same file" means. */
  digest: string;
}

const invalid = (detail: string) => errors.importInvalid(detail);

function json(line: string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw invalid(`${what} is not valid JSON.`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(`${what} is not a JSON object.`);
  return v as Record<string, unknown>;
}

function header(line: string): Conversation {
  const h = json(line, 'The first line');
  if (h.format !== EXPORT_FORMAT || h.end !== undefined)
    throw invalid(`the first line is not a "${EXPORT_FORMAT}" header.`);
  if (h.version !== EXPORT_VERSION)
    throw invalid(
      `format version ${String(h.version)} is not supported (this server reads ${EXPORT_VERSION}).`,
    );
  const c = ConversationSchema.safeParse(h.conversation);
  if (!c.success) throw invalid('the header does not hold a valid conversation.');
  return c.data;
}

const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** One event line, checked: envelope, conversation, order, and its type's schema. */
function eventOf(
  line: string,
  index: number,
  conversationId: string,
  lastSeq: number,
): { row: StoredEvent; event: AppEvent } {
  const e = json(line, `Event line ${index + 1}`);
  if (!isTime(e.seq) || e.seq <= lastSeq)
    throw invalid(`event line ${index + 1} is out of order or has no seq.`);
  if (typeof e.type !== 'string' || !isTime(e.created_at))
    throw invalid(`event seq ${e.seq} lacks its type or time.`);
  if (e.conversationId !== conversationId)
    throw invalid(`event seq ${e.seq} belongs to another conversation.`);
  if (e.sessionId !== null && typeof e.sessionId !== 'string')
    throw invalid(`event seq ${e.seq} has a bad sessionId.`);
  const row = e as StoredEvent;
  const parsed = parseEvent(row);
  if (!parsed.ok) throw invalid(parsed.reason);
  return { row, event: parsed.event };
}

/** The permission rows as their events describe them (the log holds each request and its answer). */
function permissionsOf(events: readonly AppEvent[]): PermissionRequest[] {
  const byKey = new Map<string, PermissionRequest>();
  for (const e of events) {
    if (e.type === 'permission_requested' && e.sessionId) {
      byKey.set(`${e.sessionId}\0${e.requestId}`, {
        requestId: e.requestId,
        sessionId: e.sessionId,
        conversationId: e.conversationId,
        toolCall: e.toolCall,
        options: e.options,
        status: 'pending',
        optionId: null,
        created_at: e.created_at,
        resolved_at: null,
      });
    } else if (e.type === 'permission_resolved' && e.sessionId) {
      const p = byKey.get(`${e.sessionId}\0${e.requestId}`);
      if (p) Object.assign(p, { status: 'resolved', optionId: e.optionId, resolved_at: e.created_at });
    }
  }
  return [...byKey.values()];
}

/** Verifies an export file and turns it into what recordImport writes; throws a 4xx AppError when it does not verify. */
export function readExportFile(body: Buffer): ImportPlan {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw invalid('it is not UTF-8 text.');
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length < 2) throw invalid('it is empty or cut short (no trailer).');
  const conversation = header(lines[0]);
  const t = json(lines[lines.length - 1], 'The last line');
  if (t.format !== EXPORT_FORMAT || t.end !== true)
    throw invalid('the last line is not the trailer: the file is cut short.');

  // The checksum first: a changed or damaged file is told as such, whatever the change broke.
  const hash = new LineHash();
  for (let i = 1; i < lines.length - 1; i++) hash.add(lines[i]);
  if (t.events !== hash.count)
    throw invalid(`the trailer counts ${String(t.events)} events, the file holds ${hash.count}.`);
  if (t.sha256 !== hash.hex()) throw invalid('the checksum does not match: the file was changed or damaged.');

  const content = new LineHash();
  const rows: StoredEvent[] = [];
  const parsed: AppEvent[] = [];
  let last = 0;
  for (let i = 1; i < lines.length - 1; i++) {
    const { row, event } = eventOf(lines[i], i, conversation.id, last);
    last = row.seq;
    content.add(contentLine(row));
    rows.push(row);
    parsed.push(event);
  }

  const state = rebuildFromLog(rows);
  const rebuilt = state.conversations.get(conversation.id);
  if (state.conversations.size !== 1 || !rebuilt)
    throw invalid('its log does not describe exactly this one conversation (deleted, or others mixed in).');
  if (!isDeepStrictEqual(rebuilt, conversation))
    throw invalid('the conversation row differs from what its own log rebuilds.');
  const messages = [...state.messages.values()];
  const sessions = [...state.sessions.values()];
  if (
    messages.some((m) => m.conversationId !== conversation.id) ||
    sessions.some((s) => s.conversationId !== conversation.id)
  )
    throw invalid('a message or session in it belongs to another conversation.');
  if (t.messages !== messages.length || t.sessions !== sessions.length)
    throw invalid('the trailer counts other messages or sessions than the file holds.');
  if (sessions.some((s) => !FINISHED_STATUSES.includes(s.status))) throw errors.importUnfinished();

  return {
    conversation,
    messages,
    sessions,
    permissions: permissionsOf(parsed),
    // Written as they are in the file (not as parsed), so the imported log is the exported one, field
    // for field; each was checked against its type's schema above.
    events: rows.map(({ seq: _s, created_at, ...e }) => ({ event: e as NewAppEvent, created_at })),
    digest: content.hex(),
  };
}
