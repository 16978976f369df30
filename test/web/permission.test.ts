// What a permission request shows (command, paths, the edit) and how it was settled (CONTRACT
// section 11, "Approvals"), folded from the turn's events.

import { describe, expect, it } from 'vitest';
import { applyEvents, initView } from '../../web/src/state/conversation';
import { decisionText } from '../../web/src/state/permission';
import { CID, ev, session, userMsg } from './fixtures';

const start = (sid: string) => [
  ev(1, 'message_created', { message: userMsg('m1', 'hi', sid) }, sid),
  ev(2, 'session_created', { session: session(sid, 'm1') }, sid),
  ev(3, 'session_updated', { status: 'processing', session: session(sid, 'm1', 'processing') }, sid),
];

const asked = (seq: number, requestId: string) =>
  ev(
    seq,
    'permission_requested',
    {
      requestId,
      toolCall: {
        toolCallId: 'tc1',
        title: 'Edit NOTES.md',
        content: [{ type: 'diff', path: '/r/NOTES.md', oldText: 'a', newText: 'b' }, { type: 'content' }],
      },
      options: [{ optionId: 'allow_once', name: 'Allow once', kind: 'allow_once' }],
      command: 'rm -rf build',
      paths: ['/r/NOTES.md'],
    },
    's1',
  );

describe('permission requests and decisions', () => {
  it('keeps what is asked: the command, the paths and the edit', () => {
    const v = applyEvents(initView(CID, null, [], 0), [...start('s1'), asked(4, 'r1')]);
    const p = v.sessions.s1?.permissions[0];
    expect(p?.command).toBe('rm -rf build');
    expect(p?.paths).toEqual(['/r/NOTES.md']);
    expect(p?.diffs).toEqual([{ path: '/r/NOTES.md', oldText: 'a', newText: 'b' }]);
    expect(p?.toolCallId).toBe('tc1');
  });

  it('an answer turns the question into who decided it, once', () => {
    const resolved = ev(
      5,
      'permission_resolved',
      {
        requestId: 'r1',
        optionId: 'allow_once',
        outcome: 'selected',
        decidedBy: 'rule',
        rule: 'kind:edit',
        optionKind: 'allow_once',
        automatic: true,
      },
      's1',
    );
    const v = applyEvents(initView(CID, null, [], 0), [...start('s1'), asked(4, 'r1'), resolved]);
    const s = v.sessions.s1;
    expect(s?.permissions).toEqual([]);
    expect(s?.decided.map((d) => [d.requestId, d.decidedBy, d.rule])).toEqual([['r1', 'rule', 'kind:edit']]);
    expect(decisionText(s?.decided[0] as never)).toBe('Allowed by your “always allow” rule (kind:edit)');
  });

  it('words for each way a request ends', () => {
    const base = { requestId: 'r', title: 'T', toolCallId: null, rule: null };
    expect(
      decisionText({ ...base, decidedBy: 'user', optionName: 'Allow once', optionKind: 'allow_once' }),
    ).toBe('You chose “Allow once”');
    expect(decisionText({ ...base, decidedBy: 'auto', optionName: null, optionKind: 'allow_once' })).toBe(
      'Allowed by auto-approve',
    );
    expect(decisionText({ ...base, decidedBy: null, optionName: null, optionKind: null })).toBe(
      'Not answered: the turn ended first',
    );
  });

  it('events from before `decidedBy`: a selected option was a person’s unless automatic', () => {
    const old = ev(
      5,
      'permission_resolved',
      { requestId: 'r1', optionId: 'allow_once', outcome: 'selected' },
      's1',
    );
    const v = applyEvents(initView(CID, null, [], 0), [...start('s1'), asked(4, 'r1'), old]);
    expect(v.sessions.s1?.decided[0]?.decidedBy).toBe('user');
  });
});
