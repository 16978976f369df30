// The controller's pure parts (web/src/client/): what a live batch does to the answers in flight.
import { describe, expect, it } from 'vitest';
import { pruneAnswering } from '../../web/src/client/live-updates';
import { applyEvent, applyEvents, initView } from '../../web/src/state/conversation';
import { CID, ev, permissionRequested, turnEvents } from './fixtures';

function viewWithPermission() {
  const v = applyEvents(initView(CID, null, [], 0), turnEvents(1, 's1', 'm1', []).slice(0, 3));
  return applyEvent(v, permissionRequested(10, 'r1', 's1'));
}

describe('pruneAnswering: buttons stay disabled until the event says the request is answered', () => {
  it('keeps an answer in flight while its request is open, the same object when nothing changed', () => {
    const answering = { r1: 'allow_once' };
    expect(pruneAnswering(answering, viewWithPermission())).toBe(answering);
    const none = {};
    expect(pruneAnswering(none, viewWithPermission())).toBe(none);
  });

  it('drops the answer once the request is resolved, here or in another tab', () => {
    const v = applyEvent(
      viewWithPermission(),
      ev(11, 'permission_resolved', { requestId: 'r1', optionId: 'allow_once' }, 's1'),
    );
    expect(pruneAnswering({ r1: 'allow_once' }, v)).toEqual({});
  });

  it('drops only the answers whose request is gone', () => {
    expect(pruneAnswering({ r1: 'allow_once', r0: 'reject' }, viewWithPermission())).toEqual({
      r1: 'allow_once',
    });
  });
});
