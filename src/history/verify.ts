import { isDeepStrictEqual } from 'node:util';
import Database from 'better-sqlite3';
import { rebuildFromLog, toTables } from '../domain/rebuild.ts';
import type { Conversation, Message, Session, StoredEvent } from '../domain/types.ts';
import { eventFromRow, type EventRow } from '../store/event-row.ts';
import type { ConversationRow, MessageRow, SessionRow } from '../store/sqlite/rows.ts';
import { toConversation, toMessage, toSession } from '../store/sqlite/rows.ts';
import type { Store } from '../store/types.ts';

// `gmgui verify` (docs/DESIGN.md "the log is the truth"): the tables rebuilt from the event log alone,
// in memory, compared row by row and field by field with the live tables, read from one snapshot.

export interface Tables {
  conversations: Conversation[];
  messages: Message[];
  sessions: Session[];
}

export interface VerifyReport {
  events: number;
  rows: number;
  differences: string[];
}

/** Every difference between the rebuilt and the live tables, one sentence each. */
export function compareTables(rebuilt: Tables, live: Tables): string[] {
  const out: string[] = [];
  const table = <R extends { id: string }>(name: string, want: R[], have: R[]) => {
    const byId = new Map(have.map((r) => [r.id, r]));
    for (const w of want) {
      const h = byId.get(w.id);
      byId.delete(w.id);
      if (!h) {
        out.push(`${name} ${w.id}: in the log, missing from the table`);
        continue;
      }
      const keys = new Set([...Object.keys(w), ...Object.keys(h)]);
      const fields = [...keys].filter(
        (k) => !isDeepStrictEqual((w as Record<string, unknown>)[k], (h as Record<string, unknown>)[k]),
      );
      for (const f of fields)
        out.push(
          `${name} ${w.id}: ${f} is ${JSON.stringify((h as Record<string, unknown>)[f])} in the table, ` +
            `${JSON.stringify((w as Record<string, unknown>)[f])} by the log`,
        );
    }
    for (const id of byId.keys()) out.push(`${name} ${id}: in the table, not in the log`);
  };
  table('conversation', rebuilt.conversations, live.conversations);
  table('message', rebuilt.messages, live.messages);
  table('session', rebuilt.sessions, live.sessions);
  return out;
}

function report(events: number, rebuilt: Tables, live: Tables, unreadable: string[] = []): VerifyReport {
  const rows = live.conversations.length + live.messages.length + live.sessions.length + unreadable.length;
  return { events, rows, differences: [...unreadable, ...compareTables(rebuilt, live)] };
}

/** Rows mapped one by one: a row whose columns do not even parse is a difference, not a crash. */
function mapRows<R extends { id: string }, T>(name: string, rows: R[], map: (r: R) => T, bad: string[]): T[] {
  const out: T[] = [];
  for (const r of rows) {
    try {
      out.push(map(r));
    } catch (e) {
      bad.push(`${name} ${r.id}: the row cannot be read (${(e as Error).message})`);
    }
  }
  return out;
}

/**
 * A SQLite database file, read-only and beside a running server: the log and the tables are read in
 * one read transaction (WAL gives it one snapshot), the log row by row so it is never held whole.
 */
export function verifySqliteFile(file: string): VerifyReport {
  const db = new Database(file, { readonly: true, fileMustExist: true, timeout: 5000 });
  try {
    return db.transaction(() => {
      let events = 0;
      function* log(): Generator<StoredEvent> {
        for (const r of db.prepare('SELECT * FROM events ORDER BY seq').iterate() as Iterable<EventRow>) {
          events++;
          yield eventFromRow(r);
        }
      }
      const rebuilt = toTables(rebuildFromLog(log()));
      const bad: string[] = [];
      const all = <R>(q: string) => db.prepare(q).all() as R[];
      const live: Tables = {
        conversations: mapRows(
          'conversation',
          all<ConversationRow>('SELECT * FROM conversations ORDER BY id'),
          toConversation,
          bad,
        ),
        messages: mapRows('message', all<MessageRow>('SELECT * FROM messages ORDER BY ord'), toMessage, bad),
        sessions: mapRows('session', all<SessionRow>('SELECT * FROM sessions ORDER BY ord'), toSession, bad),
      };
      // A row that cannot be read is reported once, not also as "missing from the table".
      const unreadable = new Set(bad.map((b) => b.split(':')[0]));
      const seen = (name: string) => (r: { id: string }) => !unreadable.has(`${name} ${r.id}`);
      const wanted: Tables = {
        conversations: rebuilt.conversations.filter(seen('conversation')),
        messages: rebuilt.messages.filter(seen('message')),
        sessions: rebuilt.sessions.filter(seen('session')),
      };
      return report(events, wanted, live, bad);
    })();
  } finally {
    db.close();
  }
}

/**
 * Any store (PostgreSQL): the tables, then the log up to the seq it had when they were read. A write
 * between (the log's end moved) makes it read again, so the two describe the same moment.
 */
export async function verifyStore(store: Store): Promise<VerifyReport> {
  for (let attempt = 0; ; attempt++) {
    const before = await store.lastSeq();
    const live = await store.dumpTables();
    const upTo = await store.lastSeq();
    if (before !== upTo && attempt < 20) continue;
    const rows: StoredEvent[] = [];
    for (let after = 0; ; ) {
      // Only lifecycle events change these tables (rebuild.ts): agent output is not even read.
      const page = await store.readEvents({ after, limit: 1000, lifecycleOnly: true });
      const kept = page.filter((e) => e.seq <= upTo);
      rows.push(...kept);
      if (kept.length < page.length || page.length === 0) break;
      after = page[page.length - 1].seq;
    }
    return report(rows.length, toTables(rebuildFromLog(rows)), live);
  }
}
