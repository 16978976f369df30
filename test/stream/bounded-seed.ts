import { join } from 'node:path';
import { createConversation } from '../../src/commands/conversations.ts';
import { sendMessage } from '../../src/commands/messages.ts';
import {
  appendAgentOutput,
  claimNextSession,
  finishTurn,
  type OutputEvent,
} from '../../src/commands/runner.ts';
import { SQLITE_FILE } from '../../src/store/open.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

// A long agent turn written into a data dir before a server starts on it, through the same commands
// the runner uses (claim, output batches, finish), so its events are shaped exactly as a real turn's:
// text deltas of varied sizes, tool calls with large outputs, and the closing `done`, assistant message
// and `session_updated`. For the bounded-history tests and bench/bounded-reads.ts.

export interface LongTurn {
  conversationId: string;
  sessionId: string;
  /** Bytes of agent output written (text and tool content). */
  outputBytes: number;
  events: number;
}

/** Deterministic sizes, so every run writes the same turn. */
function* sizes(seed: number): Generator<number> {
  let x = seed;
  for (;;) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    yield x;
  }
}

/**
 * Writes a completed turn of about `outputBytes` of agent output: one third text in deltas of 100 B to
 * 8 KB, two thirds tool output in calls of 16 to 256 KB. `finish: 'completed'` ends it as the runner
 * does with an answer (the message repeats the text and the tool blocks, as the runner stores them);
 * `'error'` ends it without one.
 */
export async function seedLongTurn(
  dataDir: string,
  o: { cwd: string; outputBytes: number; finish?: 'completed' | 'error' },
): Promise<LongTurn> {
  const store = openSqliteStore({ file: join(dataDir, SQLITE_FILE) });
  try {
    const owner = 'seed';
    const { conversationId, sessionId } = await store.transaction(async (tx) => {
      const c = await createConversation(tx, { agentId: 'demo', title: 'long turn', cwd: o.cwd });
      const { session } = await sendMessage(tx, c.id, { content: 'a long answer, please' });
      return { conversationId: c.id, sessionId: session.id };
    });
    await store.transaction((tx) =>
      claimNextSession(tx, { owner, leaseMs: 3_600_000, skipConversations: new Set() }),
    );
    const rnd = sizes(42);
    const next = () => rnd.next().value as number;
    const text: string[] = [];
    const blocks: unknown[] = [];
    let written = 0;
    let events = 0;
    let tool = 0;
    while (written < o.outputBytes) {
      const batch: OutputEvent[] = [];
      for (let i = 0; i < 50 && written < o.outputBytes; i++) {
        if (next() % 3 === 0) {
          const size = 16 * 1024 + (next() % (240 * 1024));
          const id = `tool-${tool++}`;
          const content = [{ type: 'content', content: { type: 'text', text: 'o'.repeat(size) } }];
          const call = {
            type: 'tool_call' as const,
            toolCallId: id,
            title: `read ${id}`,
            kind: 'read',
            status: 'completed',
            content,
            locations: [],
          };
          // The runner's assistant message keeps a tool call as a block with the same fields.
          batch.push(call);
          blocks.push(call);
          written += size;
        } else {
          const size = 100 + (next() % 8000);
          const t = `${'t'.repeat(size - 1)}\n`;
          batch.push({ type: 'text_delta', text: t });
          text.push(t);
          const last = blocks.at(-1) as { type: string; text: string } | undefined;
          if (last?.type === 'text') last.text += t;
          else blocks.push({ type: 'text', text: t });
          written += size;
        }
      }
      events += batch.length;
      await store.transaction((tx) => appendAgentOutput(tx, { sessionId, owner, events: batch }));
    }
    const outcome =
      o.finish === 'error'
        ? { kind: 'error' as const, error: 'the seeded turn ends without an answer' }
        : { kind: 'completed' as const, stopReason: 'end_turn', text: text.join(''), blocks };
    await store.transaction((tx) => finishTurn(tx, { sessionId, owner, events: [], outcome }));
    return { conversationId, sessionId, outputBytes: written, events };
  } finally {
    await store.close();
  }
}
