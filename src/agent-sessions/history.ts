import type { OutputEventBody } from '../domain/events.ts';
import type { Message } from '../domain/types.ts';
import { isHistoryReplay, mapSessionUpdate, splitTerminalMeta } from '../agents/update-mapper.ts';

// A history as turns, the shape gmgui stores a conversation in (one user message, the agent's answer
// as output events): from what an agent replays when it loads one of its sessions (import), or from
// the stored messages of a conversation (fork). record-history.ts writes them.

/** One turn of a history: the user's message (null for agent output before any) and the answer's events. */
export interface HistoryTurn {
  user: Pick<Message, 'content' | 'attachments' | 'folderContext'> | null;
  events: OutputEventBody[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A user message chunk's content as text: its text, a link or resource by name, an image as a mark. */
function chunkText(content: unknown): string {
  if (!isObject(content)) return '';
  if (content.type === 'text' && typeof content.text === 'string') return content.text;
  if (content.type === 'resource_link') return ` @${String(content.name ?? content.uri ?? '')} `;
  if (content.type === 'resource' && isObject(content.resource))
    return ` @${String(content.resource.uri ?? '')} `;
  if (content.type === 'image') return ' [image] ';
  return '';
}

/**
 * The turns of a replayed history (ACP session/update payloads in the order the agent sent them):
 * consecutive user message chunks make one user message; agent text, thoughts, tool calls and plans
 * (and usage reports) are the answer of the user message before them. What is not history (modes,
 * commands, notices) is left out: the next turn's session/load reports it again. The agent's title
 * (`session_info_update`), when it gives one, names the conversation.
 */
export function turnsOfReplay(updates: readonly unknown[]): { turns: HistoryTurn[]; title: string | null } {
  const turns: HistoryTurn[] = [];
  let title: string | null = null;
  let current: HistoryTurn | null = null;
  for (const update of updates) {
    if (!isObject(update)) continue;
    const kind = update.sessionUpdate;
    if (kind === 'session_info_update' && typeof update.title === 'string' && update.title.trim()) {
      title = update.title.trim();
      continue;
    }
    if (kind === 'user_message_chunk') {
      const text = chunkText(update.content);
      // A chunk that follows the agent's output starts the next turn; one after a user chunk continues it.
      if (current?.user && current.events.length === 0)
        current.user.content = `${current.user.content}${text}`;
      else {
        current = { user: { content: text }, events: [] };
        turns.push(current);
      }
      continue;
    }
    if (!isHistoryReplay(update) && kind !== 'usage_update') continue;
    if (!current) {
      current = { user: null, events: [] };
      turns.push(current);
    }
    // Claude's and Codex's terminal output on tool calls becomes terminal events, as in a live turn.
    const split = splitTerminalMeta(update);
    if (split.update !== null) current.events.push(mapSessionUpdate(split.update));
    current.events.push(...split.events);
  }
  for (const t of turns)
    if (t.user && typeof t.user.content === 'string') t.user.content = t.user.content.trim();
  return { turns, title };
}

/** The events an assistant message's blocks stand for (assistant-blocks.ts, read backwards). */
function eventsOfBlocks(content: Message['content']): OutputEventBody[] {
  if (typeof content === 'string') return content ? [{ type: 'text_delta', text: content }] : [];
  const events: OutputEventBody[] = [];
  for (const b of content.blocks) {
    if (!isObject(b)) continue;
    if ((b.type === 'text' || b.type === 'thought') && typeof b.text === 'string')
      events.push({ type: b.type === 'text' ? 'text_delta' : 'thought_delta', text: b.text });
    else if (b.type === 'tool_call' && typeof b.toolCallId === 'string') {
      const { type: _t, ...fields } = b;
      events.push(
        mapSessionUpdate({ ...fields, sessionUpdate: 'tool_call' }) as Extract<
          OutputEventBody,
          { type: 'tool_call' }
        >,
      );
    } else if (b.type === 'plan')
      events.push({ type: 'plan', entries: Array.isArray(b.entries) ? b.entries : [] });
    else if (b.type === 'content')
      events.push({
        type: 'agent_update',
        update: { sessionUpdate: 'agent_message_chunk', content: b.content },
      });
  }
  // A message stored before blocks existed, or one whose blocks hold no text: its text as one chunk.
  if (!events.some((e) => e.type === 'text_delta') && content.text)
    events.unshift({ type: 'text_delta', text: content.text });
  return events;
}

/** The turns of stored messages (oldest first): each user message with the assistant messages after it. */
export function turnsOfMessages(messages: readonly Message[]): HistoryTurn[] {
  const turns: HistoryTurn[] = [];
  let current: HistoryTurn | null = null;
  for (const m of messages) {
    if (m.role === 'user') {
      current = {
        user: {
          content: m.content,
          ...(m.attachments ? { attachments: m.attachments } : {}),
          ...(m.folderContext ? { folderContext: m.folderContext } : {}),
        },
        events: [],
      };
      turns.push(current);
      continue;
    }
    if (!current) {
      current = { user: null, events: [] };
      turns.push(current);
    }
    current.events.push(...eventsOfBlocks(m.content));
  }
  return turns;
}
