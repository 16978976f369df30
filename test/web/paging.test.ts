// Paged history: the view holds the newest page(s) of a conversation; events and REST answers must
// never slip an older message into it out of order, and turns of the unloaded past stay out of sight
// until their page is loaded.

import { describe, expect, it } from 'vitest';
import { makeItem } from '../../web/src/outbox/core';
import {
  addMessage,
  addSessionRows,
  applyEvent,
  applyEvents,
  hydrateSession,
  initView,
  prependMessages,
} from '../../web/src/state/conversation';
import { completedFromMessages, newestFirst } from '../../web/src/state/history';
import { buildRows } from '../../web/src/state/timeline';
import type { GmEvent, Message } from '../../web/src/types';
import { assistantMsg, CID, ev, session, userMsg } from './fixtures';

/** Turns 0..n-1: user message q<i> (session s<i>) and its answer a<i>, oldest first. */
function history(n: number): Message[] {
  const out: Message[] = [];
  for (let i = 0; i < n; i++)
    out.push(userMsg(`q${i}`, `question ${i}`, `s${i}`), assistantMsg(`a${i}`, `answer ${i}`, `s${i}`));
  return out;
}

const all = history(10);
/** The newest 3 turns, as GET …/messages?limit=6 would answer, read after cursor 100. */
function pageView() {
  let v = initView(CID, null, all.slice(-6), 100, true);
  v = addSessionRows(v, newestFirst(completedFromMessages(v)));
  return v;
}

describe('paged history', () => {
  it('opens on the newest page with its turns', () => {
    const v = pageView();
    expect(v.hasMore).toBe(true);
    expect(buildRows(v, []).map((r) => r.key)).toEqual(['q7', 'turn:s7', 'q8', 'turn:s8', 'q9', 'turn:s9']);
  });

  it('appends messages created after the snapshot', () => {
    const v = applyEvent(
      pageView(),
      ev(101, 'message_created', { message: userMsg('q10', 'new', 's10') }, 's10'),
    );
    expect(v.messages.map((m) => m.id).slice(-2)).toEqual(['a9', 'q10']);
  });

  it('a hydrated old turn does not bring its messages into the page', () => {
    // The full history of turn 2 (long before the page): its messages were created before the cursor.
    const old: GmEvent[] = [
      ev(10, 'message_created', { message: all[4] }, 's2'),
      ev(11, 'session_created', { session: session('s2', 'q2') }, 's2'),
      ev(12, 'text_delta', { text: 'answer 2' }, 's2'),
      ev(
        13,
        'session_updated',
        { status: 'completed', session: session('s2', 'q2', 'completed'), message: all[5] },
        's2',
      ),
    ];
    const v = hydrateSession(pageView(), session('s2', 'q2', 'completed'), old, 's2');
    expect(v.messages.map((m) => m.id)).toEqual(['q7', 'a7', 'q8', 'a8', 'q9', 'a9']);
    // …and its turn is not shown at the bottom either.
    expect(buildRows(v, []).map((r) => r.key)).not.toContain('turn:s2');
  });

  it('a live event carrying an old message does not insert it out of order', () => {
    const v0 = pageView();
    const stale = { ...all[3], created_at: (v0.messages[0] as Message).created_at - 1000 } as Message;
    const v = applyEvent(
      v0,
      ev(
        105,
        'session_updated',
        { status: 'completed', session: session('s1', 'q1', 'completed'), message: stale },
        's1',
      ),
    );
    expect(v.messages.map((m) => m.id)).toEqual(v0.messages.map((m) => m.id));
    // A replayed POST answer for an old message is left out as well.
    expect(addMessage(v, stale).messages).toBe(v.messages);
  });

  it('old unfinished turns stay hidden until their page loads, then sit under their message', () => {
    let v = pageView();
    // GET …/sessions?status=error lists a turn of the unloaded past.
    v = addSessionRows(v, [
      { ...session('s1', 'q1', 'error'), error: 'boom', created_at: all[2]?.created_at },
    ]);
    expect(buildRows(v, []).some((r) => r.key === 'turn:s1')).toBe(false);
    v = prependMessages(v, all.slice(0, 14), false);
    v = addSessionRows(v, newestFirst(completedFromMessages(v)));
    const keys = buildRows(v, []).map((r) => r.key);
    expect(keys.slice(0, 4)).toEqual(['q0', 'turn:s0', 'q1', 'turn:s1']);
    expect(keys).toHaveLength(20);
    expect(v.messages.map((m) => m.id)).toEqual(all.map((m) => m.id));
  });

  it('a turn active since the page was read is shown even if its message is not loaded', () => {
    // Another tab retried turn 1 (its message is on an older page): the new session streams now.
    const v = applyEvents(pageView(), [
      ev(101, 'session_created', { session: session('s1b', 'q1') }, 's1b'),
      ev(
        102,
        'session_updated',
        { status: 'processing', session: session('s1b', 'q1', 'processing') },
        's1b',
      ),
      ev(103, 'text_delta', { text: 'again' }, 's1b'),
      ev(104, 'message_created', { message: assistantMsg('a1b', 'again', 's1b') }, 's1b'),
    ]);
    const rows = buildRows(v, []);
    expect(rows.map((r) => r.key).slice(-1)).toEqual(['turn:s1b']);
    // Its answer is shown inside the turn, not a second time on its own.
    expect(rows.some((r) => r.key === 'a1b')).toBe(false);
  });

  it('prepending dedupes and keeps the order', () => {
    // Overlaps the loaded page by one turn (a message arrived between the two reads).
    const v = prependMessages(pageView(), all.slice(8, 16), true);
    expect(v.messages.map((m) => m.id)).toEqual(all.slice(8).map((m) => m.id));
    expect(v.hasMore).toBe(true);
  });
});

describe('optimistic copies and the idempotency key', () => {
  it('message_created carries the key: its item is matched even among equal texts', () => {
    const a = makeItem(CID, 'same', null, 1);
    const b = makeItem(CID, 'same', null, 2);
    const v = applyEvent(
      initView(CID, null, [], 0),
      ev(1, 'message_created', { message: userMsg('m1', 'same', 's1'), idempotencyKey: b.key }, 's1'),
    );
    expect(v.messages[0]?.idempotencyKey).toBe(b.key);
    const rows = buildRows(v, [a, b]);
    expect(rows.map((r) => r.key)).toEqual(['m1', `out:${a.key}`]);
  });

  it("a message with someone else's key never stands in for an item with the same text", () => {
    const mine = makeItem(CID, 'yes', null, 1);
    const v = applyEvent(
      initView(CID, null, [], 0),
      ev(1, 'message_created', { message: userMsg('m1', 'yes'), idempotencyKey: 'msg-other-tab' }),
    );
    expect(buildRows(v, [mine]).map((r) => r.kind)).toEqual(['user', 'outbox']);
  });
});
