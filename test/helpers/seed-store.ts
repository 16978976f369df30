import { join } from 'node:path';
import { createConversation } from '../../src/commands/conversations.ts';
import { sendMessage } from '../../src/commands/messages.ts';
import { recordMessage, recordSessionUpdated } from '../../src/commands/record.ts';
import { newId } from '../../src/domain/ids.ts';
import type { Conversation, Message, Session, SessionStatus } from '../../src/domain/types.ts';
import { SQLITE_FILE } from '../../src/store/open.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

// Puts known state into a data dir before a server starts on it, through the real store and commands,
// for states the HTTP API cannot reach on its own (finished sessions without a running agent).

const FINAL: ReadonlySet<SessionStatus> = new Set(['completed', 'error', 'cancelled', 'interrupted']);

export interface SeededConversation {
  conversation: Conversation;
  /** One session per requested status, in the order asked. */
  sessions: Session[];
}

/**
 * A conversation with one user message per status, each session moved to that finished status.
 * Only finished statuses: a pending session would be picked up by the server's runner.
 */
export async function seedFinishedSessions(
  dataDir: string,
  opts: { cwd: string; agentId?: string; statuses: SessionStatus[]; /** Completed sessions get this answer. */ answer?: string },
): Promise<SeededConversation> {
  for (const s of opts.statuses) if (!FINAL.has(s)) throw new Error(`seed only finished sessions, not ${s}`);
  const store = openSqliteStore({ file: join(dataDir, SQLITE_FILE) });
  try {
    const conversation = await store.transaction((tx) =>
      createConversation(tx, { agentId: opts.agentId ?? 'demo', title: 'seeded', cwd: opts.cwd }),
    );
    const sessions: Session[] = [];
    for (const [i, status] of opts.statuses.entries()) {
      const s = await store.transaction(async (tx) => {
        const { session } = await sendMessage(tx, conversation.id, { content: `seeded ${i} ${status}` });
        const done: Session = {
          ...session,
          status,
          started_at: tx.now,
          completed_at: tx.now,
          error: status === 'error' ? 'seeded failure' : null,
          promptSent: true,
        };
        if (status === 'completed' && opts.answer) {
          // The agent's answer, as the runner stores it: `{text, blocks}` content.
          const answer: Message = {
            id: newId('msg'),
            conversationId: conversation.id,
            role: 'assistant',
            content: { text: `${opts.answer} ${i}`, blocks: [{ type: 'text', text: opts.answer }] },
            sessionId: session.id,
            created_at: tx.now,
          };
          await recordMessage(tx, answer);
          done.response = { text: `${opts.answer} ${i}`, messageId: answer.id };
          await recordSessionUpdated(tx, done, { message: answer });
          return done;
        }
        await recordSessionUpdated(tx, done, status === 'error' ? { error: 'seeded failure' } : {});
        return done;
      });
      sessions.push(s);
    }
    return { conversation, sessions };
  } finally {
    await store.close();
  }
}
