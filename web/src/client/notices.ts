// What the user is told: short messages at the bottom of the screen (what failed, what happened
// elsewhere). Errors stay longer than information; at most four are shown.

import { errText } from '../lib/errors';
import type { Store } from '../state/store';
import type { AppState, Notice } from './app-state';

export class Notices {
  private lastId = 0;

  constructor(private readonly store: Store<AppState>) {}

  notify(text: string, kind: Notice['kind'] = 'info'): void {
    const id = ++this.lastId;
    this.store.set((s) => ({ notices: [...s.notices.slice(-3), { id, text, kind }] }));
    setTimeout(() => this.dismiss(id), kind === 'error' ? 8000 : 4000);
  }

  /** "Could not <what>: <why>". */
  failed(what: string, e: unknown): void {
    this.notify(`Could not ${what}: ${errText(e)}`, 'error');
  }

  dismiss(id: number): void {
    this.store.set((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));
  }
}
