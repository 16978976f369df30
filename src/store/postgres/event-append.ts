import type pg from 'pg';
import { isLifecycleType } from '../../domain/events.ts';
import type { NewEvent } from '../../domain/types.ts';
import { splitEvent } from '../event-row.ts';

// How a transaction's events get their seq on PostgreSQL, and the commit that makes them visible.
//
// Event order. A PostgreSQL sequence hands out numbers at INSERT time, but transactions commit in any
// order: a reader could see seq 6, ask for "after 6", and never see 5 when it commits later. So seq is not
// a sequence. PgTx.append() only buffers; when the command has finished, commitWithEvents() advances the
// single log_head row (UPDATE … RETURNING, which takes that row's lock), writes the buffered events with
// the numbers it got, and the transaction commits at once. The next appending transaction blocks on the
// same row until this one has committed (or rolled back: its numbers are then never used and nobody saw
// them), and PostgreSQL makes a commit visible before it releases the transaction's locks. Hence: when
// seq N is visible, every seq below N is already visible or will never exist. A reader can never skip an
// event. The lock is held only for the tail of each appending transaction (one statement and the COMMIT,
// sent to the server together), and transactions that append nothing (reads, lease renewals) never take it.

/** The channel each appending commit notifies (append-watcher.ts listens). */
export const NOTIFY_CHANNEL = 'gmgui_events';

/** An event as it will be written, held until commit. */
export interface BufferedEvent {
  type: string;
  conversationId: string;
  sessionId: string | null;
  lifecycle: boolean;
  data: string;
  /** The time of an imported event (Tx.append's `at`); absent: the commit's clock. */
  at?: number;
}

export function bufferEvent(e: NewEvent, at?: number): BufferedEvent {
  const { sessionId, data } = splitEvent(e);
  return {
    type: e.type,
    conversationId: e.conversationId,
    sessionId,
    lifecycle: isLifecycleType(e.type),
    data,
    ...(at === undefined ? {} : { at }),
  };
}

/**
 * Commits the open transaction on `client`, writing `events` first. Returns the newest seq written, or 0
 * when there were none. After an error the caller must roll back.
 */
export async function commitWithEvents(
  client: pg.ClientBase,
  events: BufferedEvent[],
  at: number,
): Promise<number> {
  if (events.length === 0) {
    await client.query('COMMIT');
    return 0;
  }
  // A message with several statements yields one result per statement (pg's typings do not model it).
  const results = (await client.query(appendAndCommitSql(events, at))) as unknown as Array<
    pg.QueryResult<{ seq: number }>
  >;
  const seq = results[0]?.rows[0]?.seq;
  if (typeof seq !== 'number')
    throw new Error('log_head row is missing: the database was not migrated by gmgui');
  return seq;
}

/**
 * A string as an SQL literal: quotes doubled, and backslashes doubled inside E'…' so the meaning does not
 * depend on standard_conforming_strings (the same rules as pg's escapeLiteral, without its per-character
 * loop, which is slow on large agent output).
 */
function literal(v: string | null): string {
  if (v === null) return 'NULL';
  const quoted = v.replace(/'/g, "''");
  return v.includes('\\') ? ` E'${quoted.replace(/\\/g, '\\\\')}'` : `'${quoted}'`;
}

const textArray = (vals: Array<string | null>) => `ARRAY[${vals.map(literal).join(',')}]::text[]`;

/**
 * Numbers and writes the events, queues the wake-up (PostgreSQL delivers a NOTIFY only if and when the
 * transaction commits) and commits, in one message to the server: the log head's lock is then held only
 * for the server's own work and the commit, never across a network round trip or a busy event loop.
 * Values are inlined as literals because a message with several statements cannot carry parameters.
 */
function appendAndCommitSql(events: BufferedEvent[], at: number): string {
  if (!Number.isSafeInteger(at)) throw new Error(`bad timestamp ${at}`);
  const times = events.map((e) => e.at ?? at);
  if (!times.every(Number.isSafeInteger)) throw new Error('bad event timestamp');
  const n = events.length;
  return `
  WITH head AS (
    UPDATE log_head SET seq = seq + ${n} WHERE id = 1 RETURNING seq
  ), ins AS (
    INSERT INTO events (seq, type, conversation_id, session_id, lifecycle, created_at, data)
    SELECT head.seq - ${n} + e.n, e.type, e.conversation_id, e.session_id, e.lifecycle, e.created_at, e.data
    FROM head,
         unnest(${textArray(events.map((e) => e.type))}, ${textArray(events.map((e) => e.conversationId))},
                ${textArray(events.map((e) => e.sessionId))}, ARRAY[${events.map((e) => e.lifecycle).join(',')}]::boolean[],
                ${textArray(events.map((e) => e.data))}, ARRAY[${times.join(',')}]::bigint[]) WITH ORDINALITY
           AS e(type, conversation_id, session_id, lifecycle, data, created_at, n)
  )
  SELECT seq, pg_notify('${NOTIFY_CHANNEL}', seq::text) FROM head;
  COMMIT`;
}
