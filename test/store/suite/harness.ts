import assert from 'node:assert/strict';
import { createConversation } from '../../../src/commands/conversations.ts';
import { sendMessage } from '../../../src/commands/messages.ts';
import { recordSessionUpdated } from '../../../src/commands/record.ts';
import { AppError } from '../../../src/domain/errors.ts';
import type { Session } from '../../../src/domain/types.ts';
import type { Store, Tx } from '../../../src/store/types.ts';
import type { StoreBackend } from '../backends.ts';

// What every area of the shared store suite uses: the store of the running test and a few one-line
// commands on it. Each test opens its own empty store (open()); the suite closes it after the test.

export interface Harness {
  readonly backend: StoreBackend;
  /** The store of the running test (the last open() or reopen()). */
  readonly store: Store;
  /** A store on empty data. */
  open(): Promise<Store>;
  /** Another store on the same data (a restart, or a second instance); the previous one stays as it is. */
  reopen(): Promise<Store>;
  tx<T>(fn: (t: Tx) => Promise<T>): Promise<T>;
  conv(title?: string, cwd?: string): ReturnType<typeof createConversation>;
  send(conversationId: string, content?: string): ReturnType<typeof sendMessage>;
  /** Records a session change (and its event), as the runner does. */
  setStatus(s: Session, patch: Partial<Session>): Promise<Session>;
}

export function harness(backend: StoreBackend): Harness & { close(): Promise<void> } {
  let current: Store | null = null;
  const opened: Store[] = [];
  const store = (): Store => {
    if (!current) throw new Error('open() first');
    return current;
  };
  const tx = <T>(fn: (t: Tx) => Promise<T>) => store().transaction(fn);
  return {
    backend,
    get store() {
      return store();
    },
    async open() {
      current = await backend.fresh();
      opened.push(current);
      return current;
    },
    async reopen() {
      current = await backend.another();
      opened.push(current);
      return current;
    },
    tx,
    conv: (title = 'A conversation', cwd = '/work/a') =>
      tx((t) => createConversation(t, { agentId: 'demo', title, cwd })),
    send: (conversationId, content = 'hello') => tx((t) => sendMessage(t, conversationId, { content })),
    setStatus: (s, patch) =>
      tx(async (t) => {
        const next = { ...s, ...patch };
        await recordSessionUpdated(t, next);
        return next;
      }),
    /** Closes every store the test opened. */
    async close() {
      await Promise.all(opened.splice(0).map((s) => s.close()));
      current = null;
    },
  };
}

/** Awaits `p` and asserts it failed with an AppError of this status (and code). */
export async function rejectsWith(p: Promise<unknown>, status: number, code?: string): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AppError, `expected an AppError, got ${String(e)}`);
    assert.equal(e.status, status, e.message);
    if (code) assert.equal(e.code, code);
    return e;
  }
  assert.fail(`expected a ${status}`);
}
