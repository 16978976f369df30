// What the user does to the turns of the open conversation: stop, answer a permission, retry.
// The server's events then update every tab; these only add what this tab knows first.

import { addSessionRow } from '../state/conversation';
import type { Core } from './app-state';
import { statusOf } from '../lib/errors';

export class TurnActions {
  constructor(private readonly c: Core) {}

  /** Stops the running turn of the open conversation (or the first queued one). */
  async stop(): Promise<void> {
    const v = this.c.store.get().view;
    if (!v) return;
    const order = v.sessionOrder.map((id) => v.sessions[id]).filter((x) => !!x);
    const target = order.find((x) => x.status === 'processing') ?? order.find((x) => x.status === 'pending');
    if (target) await this.cancel(target.id);
  }

  async cancel(sessionId: string): Promise<void> {
    try {
      await this.c.api.cancel(sessionId);
    } catch (e) {
      // 409: it already ended, which is what the user wanted.
      if (statusOf(e) !== 409) this.c.notices.failed('stop', e);
    }
  }

  async answer(sessionId: string, requestId: string, optionId: string): Promise<void> {
    this.c.store.set((s) => ({ answering: { ...s.answering, [requestId]: optionId } }));
    try {
      await this.c.api.answerPermission(sessionId, requestId, optionId);
    } catch (e) {
      if (statusOf(e) !== 409) {
        this.c.notices.failed('answer', e);
        this.c.store.set((s) => {
          const answering = { ...s.answering };
          delete answering[requestId];
          return { answering };
        });
      }
    }
  }

  async retry(sessionId: string): Promise<void> {
    try {
      // A key derived from the session: a double click or a second tab retries it only once.
      const { session } = await this.c.api.retry(sessionId, `retry-${sessionId}`);
      this.c.store.set((s) => (s.view && session ? { view: addSessionRow(s.view, session) } : {}));
    } catch (e) {
      this.c.notices.failed('retry', e);
    }
  }
}
