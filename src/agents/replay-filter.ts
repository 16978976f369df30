import type { Store } from '../store/types.ts';
import { isHistoryReplay } from './update-mapper.ts';

// Replayed history, recognised by what it is (docs/DESIGN.md "Replayed history"). An agent that
// loads a session (ACP session/load) sends its history again as updates. Most send it before they
// answer the load; some (Gemini CLI) send it after, racing the next prompt. What the conversation
// already holds must not be stored again as the new turn, so the window after a load stays open
// until the agent says something that is not history:
//  - before the load is answered: every history kind is replay;
//  - after it: a user message chunk is replay; a tool call (or update) whose id is stored is replay;
//    text, thought and plan chunks are replay until the new prompt is sent; after it, text is replay
//    only right after other replay (the replay was still going) and while it continues text that is
//    stored: a chunk that breaks the match, or text with no replay before it, is the new answer;
//  - anything else closes the window: from then on everything is the new turn's.
// Updates that are not history (modes, commands, usage, titles, notices) pass and leave it open.

/** What the conversation already holds, to recognise a replay of it. */
export interface StoredHistory {
  toolCallIds: Set<string>;
  /** The text of every stored message (user and assistant, thoughts included). */
  texts: string[];
}

/** How much of a long conversation is read to recognise its replay (the newest messages). */
const HISTORY_MESSAGES = 1000;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The stored messages of a conversation as StoredHistory. */
export async function storedHistory(store: Store, conversationId: string): Promise<StoredHistory> {
  const messages = await store.listMessages(conversationId, { limit: HISTORY_MESSAGES });
  const history: StoredHistory = { toolCallIds: new Set(), texts: [] };
  for (const m of messages) {
    const c: unknown = m.content;
    if (typeof c === 'string') {
      history.texts.push(c);
      continue;
    }
    if (!isObject(c)) continue;
    if (typeof c.text === 'string') history.texts.push(c.text);
    for (const b of Array.isArray(c.blocks) ? c.blocks : []) {
      if (!isObject(b)) continue;
      if (b.type === 'tool_call' && typeof b.toolCallId === 'string') history.toolCallIds.add(b.toolCallId);
      if (b.type === 'thought' && typeof b.text === 'string') history.texts.push(b.text);
    }
  }
  return history;
}


export class ReplayFilter {
  private answered = false;
  private prompted = false;
  private closed = false;
  /** Text replayed since the last replayed user message, matched against the stored texts. */
  private run = '';
  /** Whether the last history update after the load answer was replay (the replay is still going). */
  private replayGoing = false;

  constructor(private readonly history: StoredHistory | null) {}

  /** The agent answered session/load. */
  loadAnswered(): void {
    this.answered = true;
  }

  /** The new prompt went to the agent. */
  promptSent(): void {
    this.prompted = true;
  }

  /** True once the new turn's own output has begun: the filter has nothing more to do. */
  get done(): boolean {
    return this.closed;
  }

  /** True when `update` is replayed history (not to be stored as the new turn). */
  isReplay(update: unknown): boolean {
    if (this.closed || !isObject(update)) return false;
    if (!isHistoryReplay(update)) return false;
    const kind = String(update.sessionUpdate);
    if (!this.answered) return true;
    if (this.repeatsHistory(kind, update)) {
      this.replayGoing = true;
      return true;
    }
    this.closed = true;
    return false;
  }

  /** After the load answer: true while the update repeats the stored history (see the top). */
  private repeatsHistory(kind: string, update: Json): boolean {
    if (kind === 'user_message_chunk') {
      this.run = '';
      return true;
    }
    if (kind === 'agent_message_chunk' || kind === 'agent_thought_chunk') {
      const content = update.content;
      const text = isObject(content) && typeof content.text === 'string' ? content.text : '';
      const run = this.run + text;
      // Before the prompt nothing of the new turn can exist; after it, only stored text is replay.
      if (this.prompted && !(this.replayGoing && this.history?.texts.some((t) => t.includes(run))))
        return false;
      this.run = run;
      return true;
    }
    if (!this.prompted) return true;
    if (kind === 'plan') return false;
    const id = update.toolCallId;
    return typeof id === 'string' && (this.history?.toolCallIds.has(id) ?? false);
  }
}
