import { describe, expect, it } from 'vitest';
import {
  addSessionRows,
  applyEvent,
  applyEvents,
  hydrateSession,
  initView,
} from '../../web/src/state/conversation';
import { answerHasSteps, streamedText } from '../../web/src/state/session';
import { buildRows } from '../../web/src/state/timeline';
import type { Session } from '../../web/src/types';
import { CID, ev, permissionRequested, session, turnEvents, userMsg } from './fixtures';

describe('conversation view: events in seq order, each seq once', () => {
  it('builds a turn from the stream', () => {
    const v = applyEvents(initView(CID, null, [], 0), turnEvents(1, 's1', 'm1', ['Hel', 'lo']));
    const s = v.sessions.s1;
    expect(s?.status).toBe('completed');
    expect(s && streamedText(s)).toBe('Hello');
    expect(s?.complete).toBe(true);
    expect(v.messages.map((m) => m.id)).toEqual(['m1', 'a-s1']);
    expect(v.cursor).toBe(8);
  });

  it('ignores a replayed stream (reconnect with an old cursor)', () => {
    const events = turnEvents(1, 's1', 'm1', ['a', 'b', 'c']);
    let v = applyEvents(initView(CID, null, [], 0), events.slice(0, 6));
    // The socket dropped and the server replays from an older cursor: nothing may double.
    v = applyEvents(v, events.slice(2));
    v = applyEvents(v, events);
    expect(streamedText(v.sessions.s1 as never)).toBe('abc');
    expect(v.messages.filter((m) => m.id === 'm1')).toHaveLength(1);
  });

  it('merges a REST hydration that overlaps the stream in any order', () => {
    const events = turnEvents(10, 's1', 'm1', ['one ', 'two ', 'three']);
    const rows = [session('s1', 'm1', 'processing')];
    const snapshot = [userMsg('m1', 'hi', 's1')];
    // Cursor from the events endpoint was 12; hydration already holds events up to 15.
    let a = addSessionRows(initView(CID, null, snapshot, 12), rows);
    a = hydrateSession(a, session('s1', 'm1', 'processing'), events.slice(0, 6), 's1');
    a = applyEvents(
      a,
      events.filter((e) => e.seq > 12),
    );
    // Same, but the stream wins the race and hydration lands afterwards.
    let b = addSessionRows(initView(CID, null, snapshot, 12), rows);
    b = applyEvents(
      b,
      events.filter((e) => e.seq > 12),
    );
    b = hydrateSession(b, session('s1', 'm1', 'processing'), events.slice(0, 6), 's1');
    for (const v of [a, b]) {
      const s = v.sessions.s1;
      expect(s && streamedText(s)).toBe('one two three');
      expect(s?.status).toBe('completed');
      expect(s?.log.map((e) => e.seq)).toEqual(events.filter((e) => e.sessionId === 's1').map((e) => e.seq));
    }
  });

  it('a permission request disappears once resolved (in this tab or another)', () => {
    let v = applyEvents(initView(CID, null, [], 0), turnEvents(1, 's1', 'm1', []).slice(0, 3));
    v = applyEvent(v, permissionRequested(10, 'r1', 's1'));
    expect(v.sessions.s1?.permissions.map((p) => p.title)).toEqual(['Edit NOTES.md']);
    v = applyEvent(v, ev(11, 'permission_resolved', { requestId: 'r1', optionId: 'allow_once' }, 's1'));
    expect(v.sessions.s1?.permissions).toEqual([]);
  });

  it('a finished session shows no permission card', () => {
    let v = applyEvents(initView(CID, null, [], 0), turnEvents(1, 's1', 'm1', []).slice(0, 3));
    v = applyEvent(v, ev(10, 'permission_requested', { requestId: 'r1', options: [] }, 's1'));
    v = applyEvent(v, ev(11, 'session_updated', { status: 'cancelled' }, 's1'));
    expect(v.sessions.s1?.permissions).toEqual([]);
    expect(v.sessions.s1?.status).toBe('cancelled');
  });

  it('tool calls update in place and the plan is replaced whole', () => {
    let v = applyEvents(initView(CID, null, [], 0), turnEvents(1, 's1', 'm1', []).slice(0, 3));
    v = applyEvents(v, [
      ev(
        10,
        'tool_call',
        { toolCallId: 't1', title: 'Read', kind: 'read', status: 'pending', content: [], locations: [] },
        's1',
      ),
      ev(11, 'plan', { entries: [{ content: 'a', status: 'in_progress' }] }, 's1'),
      ev(12, 'tool_update', { toolCallId: 't1', status: 'completed' }, 's1'),
      ev(
        13,
        'plan',
        {
          entries: [
            { content: 'a', status: 'completed' },
            { content: 'b', status: 'pending' },
          ],
        },
        's1',
      ),
    ]);
    const s = v.sessions.s1;
    expect(s?.tools.t1?.status).toBe('completed');
    expect(s?.tools.t1?.title).toBe('Read');
    expect(s?.plan?.map((e) => e.status)).toEqual(['completed', 'pending']);
    expect(s?.items.map((i) => i.kind)).toEqual(['tool', 'plan']);
  });

  it("ignores unknown event types and other conversations' events", () => {
    const v0 = initView(CID, null, [], 0);
    const v1 = applyEvent(v0, ev(1, 'something_new', { x: 1 }, 's1'));
    expect(v1.cursor).toBe(1);
    expect(Object.keys(v1.sessions.s1?.items ?? [])).toEqual([]);
    const other = { ...ev(2, 'message_created', { message: userMsg('x', 'y') }), conversationId: 'other' };
    expect(applyEvent(v1, other)).toBe(v1);
  });

  it('rows: the assistant answer is shown inside its turn, once', () => {
    const v = applyEvents(initView(CID, null, [], 0), turnEvents(1, 's1', 'm1', ['x']));
    const rows = buildRows(v, []);
    expect(rows.map((r) => r.kind)).toEqual(['user', 'turn']);
  });

  it('rows: a retried turn appears after the first under the same message', () => {
    let v = applyEvents(initView(CID, null, [], 0), turnEvents(1, 's1', 'm1', ['x']));
    v = applyEvent(v, ev(20, 'session_created', { session: session('s2', 'm1') }, 's2'));
    expect(buildRows(v, []).map((r) => r.key)).toEqual(['m1', 'turn:s1', 'turn:s2']);
  });

  it('rows: a retry is attempt 2 of the same message and the first attempt is superseded', () => {
    let v = applyEvents(initView(CID, null, [], 0), turnEvents(1, 's1', 'm1', ['x']));
    v = applyEvent(v, ev(20, 'session_created', { session: session('s2', 'm1') }, 's2'));
    const turns = buildRows(v, []).flatMap((r) => (r.kind === 'turn' ? [r] : []));
    expect(turns.map((r) => [r.session.id, r.attempt, r.superseded])).toEqual([
      ['s1', 1, true],
      ['s2', 2, false],
    ]);
  });
});

describe('history rows inferred from messages', () => {
  it('makes completed turns from question + answer, and names the unexplained ones', async () => {
    const { completedFromMessages, newestFirst, unknownSessions } = await import(
      '../../web/src/state/history'
    );
    const { assistantMsg } = await import('./fixtures');
    const msgs = [
      userMsg('m1', 'q1', 's1'),
      assistantMsg('a1', 'answer one', 's1'),
      userMsg('m2', 'q2', 's2'), // failed: no answer
      userMsg('m3', 'q3', 's3'),
      assistantMsg('a3', 'answer three', 's3'),
    ];
    let v = initView(CID, null, msgs, 10);
    v = addSessionRows(v, [session('s2', 'm2', 'error')]);
    const rows = completedFromMessages(v);
    expect(rows.map((r) => [r.id, r.messageId, r.status, r.response?.text])).toEqual([
      ['s1', 'm1', 'completed', 'answer one'],
      ['s3', 'm3', 'completed', 'answer three'],
    ]);
    v = addSessionRows(v, newestFirst(rows));
    expect(unknownSessions(v)).toEqual([]);
    expect(buildRows(v, []).map((r) => r.key)).toEqual(['m1', 'turn:s1', 'm2', 'turn:s2', 'm3', 'turn:s3']);
    expect(unknownSessions(initView(CID, null, [userMsg('m9', 'q', 's9')], 0))).toEqual(['s9']);
  });
});

describe('session order', () => {
  it('stays creation order when rows arrive in batches', () => {
    const at = (id: string, mid: string, status: Session['status'], t: number) => ({
      ...session(id, mid, status),
      created_at: t,
    });
    let v = initView(CID, null, [], 0);
    v = addSessionRows(v, [at('s3', 'm3', 'completed', 30), at('s1', 'm1', 'completed', 10)]);
    v = addSessionRows(v, [at('s2', 'm2', 'error', 20)]);
    expect(v.sessionOrder).toEqual(['s1', 's2', 's3']);
  });
});

describe('"Show steps" only when there are steps', () => {
  const answer = (content: unknown) => ({ ...userMsg('a', ''), role: 'assistant', content }) as never;
  it('reads the answer message blocks', () => {
    expect(answerHasSteps(answer({ text: 'hi', blocks: [{ type: 'text', text: 'hi' }] }))).toBe(false);
    expect(
      answerHasSteps(
        answer({
          text: 'hi',
          blocks: [
            { type: 'thought', text: '…' },
            { type: 'text', text: 'hi' },
          ],
        }),
      ),
    ).toBe(true);
    expect(answerHasSteps(answer({ text: '', blocks: [{ type: 'tool_call', toolCallId: 't' }] }))).toBe(true);
  });
  it('unknown (no message, plain string content): offered', () => {
    expect(answerHasSteps(null)).toBe(true);
    expect(answerHasSteps(answer('hi'))).toBe(true);
  });
});
