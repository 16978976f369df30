import { describe, expect, it } from 'vitest';
import { diffLines, diffStats, withContext } from '../../web/src/lib/diff';
import { appBase, apiUrl, wsUrl } from '../../web/src/net/base';
import { reconnectDelay } from '../../web/src/net/socket';
import {
  applySyncEvent,
  emptyList,
  mergeSnapshot,
  sortedConversations,
} from '../../web/src/state/conversations';
import type { Conversation } from '../../web/src/types';
import { ev } from './fixtures';

function conv(id: string, version: number, updated: number, title = id): Conversation {
  return {
    id,
    agentId: 'demo',
    title,
    cwd: '/w',
    status: 'active',
    version,
    created_at: 1,
    updated_at: updated,
  };
}

describe('diff', () => {
  it('finds the changed lines', () => {
    const lines = diffLines('a\nb\nc\n', 'a\nB\nc\nd\n');
    expect(lines.map((l) => `${l.op}:${l.text}`)).toEqual(['same:a', 'del:b', 'add:B', 'same:c', 'add:d']);
    expect(diffStats(lines)).toEqual({ added: 2, removed: 1 });
  });

  it('treats a missing old text as a new file', () => {
    expect(diffLines(null, 'x\ny').map((l) => l.op)).toEqual(['add', 'add']);
  });

  it('folds long unchanged stretches', () => {
    const old = Array.from({ length: 50 }, (_, i) => `l${i}`).join('\n');
    const next = old.replace('l25', 'changed');
    const rows = withContext(diffLines(old, next), 3);
    expect(rows[0]).toEqual({ op: 'skip', count: 22 });
    expect(rows.filter((r) => r.op !== 'skip')).toHaveLength(8);
  });
});

describe('base URL under a prefix', () => {
  it('resolves API and WebSocket URLs relative to the app directory', () => {
    for (const href of [
      'http://h:3000/gm/',
      'http://h:3000/gm',
      'http://h:3000/gm/index.html?token=x#/c/1',
    ]) {
      const base = appBase(href);
      expect(apiUrl(base, 'api/conversations')).toBe('http://h:3000/gm/api/conversations');
      expect(wsUrl(base, 'sync?after=3')).toBe('ws://h:3000/gm/sync?after=3');
    }
    expect(wsUrl(appBase('https://x.ts.net/'), 'stream')).toBe('wss://x.ts.net/stream');
  });
});

describe('reconnect backoff', () => {
  it('grows and is capped', () => {
    const r = () => 0.5;
    expect(reconnectDelay(0, 300, 10_000, r)).toBe(300);
    expect(reconnectDelay(2, 300, 10_000, r)).toBe(1200);
    expect(reconnectDelay(20, 300, 10_000, r)).toBe(10_000);
  });
});

describe('sidebar list', () => {
  it('merges snapshot and events by version, newest first, deletions stick', () => {
    let s = mergeSnapshot(emptyList, [conv('a', 1, 10), conv('b', 1, 20)]);
    s = applySyncEvent(s, ev(5, 'conversation_updated', { conversation: conv('a', 2, 30, 'renamed') }));
    // A snapshot taken before the rename arrives late: the newer version stays.
    s = mergeSnapshot(s, [conv('a', 1, 10)]);
    expect(sortedConversations(s).map((c) => [c.id, c.title])).toEqual([
      ['a', 'renamed'],
      ['b', 'b'],
    ]);
    s = applySyncEvent(s, { ...ev(6, 'conversation_deleted', {}), conversationId: 'b' });
    s = mergeSnapshot(s, [conv('b', 1, 20)]);
    expect(sortedConversations(s).map((c) => c.id)).toEqual(['a']);
    // Replayed events are ignored.
    expect(applySyncEvent(s, ev(6, 'conversation_updated', { conversation: conv('z', 1, 1) }))).toBe(s);
  });

  it('tracks running turns and pending permissions per conversation', () => {
    let s = mergeSnapshot(emptyList, [conv('conv_1', 1, 1)]);
    s = applySyncEvent(s, ev(1, 'session_updated', { status: 'processing' }, 's1'));
    s = applySyncEvent(s, ev(2, 'permission_requested', { requestId: 'r1' }, 's1'));
    expect(Object.keys(s.activity.conv_1?.running ?? {})).toEqual(['s1']);
    expect(Object.keys(s.activity.conv_1?.waiting ?? {})).toHaveLength(1);
    s = applySyncEvent(s, ev(3, 'session_updated', { status: 'completed' }, 's1'));
    expect(s.activity.conv_1?.running).toEqual({});
    expect(s.activity.conv_1?.waiting).toEqual({});
  });
});
