import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createConversation } from '../../src/commands/conversations.ts';
import { sendMessage } from '../../src/commands/messages.ts';
import { recordMessage, recordSessionUpdated } from '../../src/commands/record.ts';
import { newId } from '../../src/domain/ids.ts';
import type { Message, Session } from '../../src/domain/types.ts';
import type { Tx } from '../../src/store/types.ts';
import { SQLITE_FILE } from '../../src/store/open.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

// Long conversation histories written straight into a data dir before a bench's server starts (a
// million events through the API would take the whole run): bench/store.ts and bench/fanout.ts use
// seedHistory (real turns, then SQL copies), bench/stream.ts seedDeltaHistories (raw text deltas).

/** Conversations made through the real store and commands, then their history appended with raw inserts. */
export async function seedDeltaHistories(
  dataDir: string,
  cwd: string,
  histories: number[],
  agentId = 'demo',
) {
  const store = openSqliteStore({ file: join(dataDir, SQLITE_FILE) });
  const ids: string[] = [];
  for (const _ of histories) {
    const c = await store.transaction((tx) => createConversation(tx, { agentId, title: 'seeded', cwd }));
    ids.push(c.id);
  }
  await store.close();
  const db = new Database(join(dataDir, SQLITE_FILE));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const insert = db.prepare(
    `INSERT INTO events (type, conversation_id, session_id, lifecycle, created_at, data) VALUES ('text_delta', ?, ?, 0, ?, ?)`,
  );
  const now = Date.now();
  const BATCH = 50_000;
  histories.forEach((count, i) => {
    const session = `sess_seeded${i}`;
    for (let done = 0; done < count; done += BATCH) {
      db.transaction(() => {
        for (let k = done; k < Math.min(count, done + BATCH); k++) {
          insert.run(ids[i], session, now, JSON.stringify({ text: `Seeded chunk ${k} of a long history. ` }));
        }
      })();
    }
  });
  const seqFromEnd = db.prepare<[string, number], { seq: number }>(
    'SELECT seq FROM events WHERE conversation_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?',
  );
  const cursors = ids.map((id, i) => ({
    id,
    nearEnd: seqFromEnd.get(id, 100)?.seq ?? 0,
    middle: seqFromEnd.get(id, Math.floor(histories[i] / 2))?.seq ?? 0,
  }));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return cursors;
}

/**
 * Fills a data dir with `messages` stored messages in `conversations` conversations: the first one is
 * written by the real commands (turns of a user message, its completed session and the assistant's
 * answer, with their events), the others are SQL copies of it under new ids, which is much faster and
 * gives the tables, indexes and log the same size and shape.
 */
export async function seedHistory(
  dataDir: string,
  messages: number,
  conversations: number,
  cwd: string,
): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const file = join(dataDir, SQLITE_FILE);
  const turns = Math.ceil(messages / 2 / conversations);
  // NORMAL only while seeding: this history is setup, not what is measured.
  const store = openSqliteStore({ file, synchronous: 'NORMAL' });
  let template: string;
  try {
    const conv = await store.transaction((tx) =>
      createConversation(tx, { agentId: 'demo', title: 'history', cwd }),
    );
    template = conv.id;
    await store.transaction(async (tx) => {
      for (let i = 0; i < turns; i++) {
        const { session } = await sendMessage(tx, conv.id, { content: `question ${i}: ${'q'.repeat(120)}` });
        const text = `answer ${i}: ${'a'.repeat(400)}`;
        await recordAnswer(tx, session, text);
      }
    });
  } finally {
    await store.close();
  }
  const db = new Database(file);
  try {
    db.pragma('synchronous = OFF');
    const clone = db.transaction((k: number) => {
      const p = { src: template, sfx: `_${k}`, off: k * turns * 2 };
      db.prepare(
        `INSERT INTO conversations SELECT id || @sfx, agent_id, title || @sfx, cwd, status, version, settings,
           acp_session_id, created_at, updated_at FROM conversations WHERE id = @src`,
      ).run(p);
      db.prepare(
        `INSERT INTO messages (id, ord, conversation_id, role, content, session_id, folder_context, created_at)
         SELECT id || @sfx, ord + @off, conversation_id || @sfx, role, content, session_id || @sfx, folder_context,
           created_at FROM messages WHERE conversation_id = @src ORDER BY ord`,
      ).run(p);
      db.prepare(
        `INSERT INTO sessions (id, ord, conversation_id, message_id, agent_id, status, created_at, started_at,
           completed_at, response, error, stop_reason, retry_of, prompt_sent)
         SELECT id || @sfx, ord + @off, conversation_id || @sfx, message_id || @sfx, agent_id, status, created_at,
           started_at, completed_at, response, error, stop_reason, retry_of, prompt_sent
         FROM sessions WHERE conversation_id = @src ORDER BY ord`,
      ).run(p);
      db.prepare(
        `INSERT INTO events (type, conversation_id, session_id, lifecycle, created_at, data)
         SELECT type, conversation_id || @sfx, session_id || @sfx, lifecycle, created_at,
           replace(data, @src, @src || @sfx) FROM events WHERE conversation_id = @src ORDER BY seq`,
      ).run(p);
    });
    for (let k = 1; k < conversations; k++) clone(k);
  } finally {
    db.close();
  }
}

/** Completes `session` with the assistant's answer `text`, as the runner records a finished turn. */
export async function recordAnswer(tx: Tx, session: Session, text: string): Promise<void> {
  const answer: Message = {
    id: newId('msg'),
    conversationId: session.conversationId,
    role: 'assistant',
    content: { text, blocks: [] },
    sessionId: session.id,
    created_at: tx.now,
  };
  await recordMessage(tx, answer);
  const done: Session = {
    ...session,
    status: 'completed',
    started_at: tx.now,
    completed_at: tx.now,
    response: { text, messageId: answer.id },
    stopReason: 'end_turn',
    promptSent: true,
  };
  await recordSessionUpdated(tx, done, { message: answer });
}
