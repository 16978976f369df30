// What the page does with the service worker (docs/CONTRACT.md "Push and the installable app"): registers it,
// shows a push that arrives while the app is on screen as an in-page notice (the worker sends it here instead
// of a system notification), follows a tapped notification to its conversation, and counts the conversations
// waiting for an answer on the favicon (and the installed app's badge).

import type { Client } from '../client/client';
import type { AppState } from '../client/app-state';
import { canUseWorker, registerServiceWorker } from './register-sw';

interface WorkerMessage {
  type?: string;
  url?: string;
  payload?: { conversationId?: string; title?: string; body?: string };
}

function listenToWorker(client: Client): void {
  if (!canUseWorker()) return;
  navigator.serviceWorker.addEventListener('message', (e: MessageEvent<WorkerMessage>) => {
    const m = e.data;
    if (m?.type === 'gmgui:push' && m.payload) {
      const p = m.payload;
      // The conversation is on screen already: it shows the request itself.
      if (p.conversationId && p.conversationId === client.store.get().selectedId && document.hasFocus())
        return;
      client.notices.notify(`${p.title ?? 'gmgui'}: ${p.body ?? ''}`);
    } else if (m?.type === 'gmgui:open' && m.url) {
      const hash = new URL(m.url, location.href).hash;
      if (hash && hash !== location.hash) location.hash = hash;
    }
  });
}

/** Conversations with a permission request waiting for an answer. */
export function waitingCount(s: AppState): number {
  let n = 0;
  for (const a of Object.values(s.list.activity)) if (Object.keys(a.waiting).length > 0) n++;
  return n;
}

/** The favicon with a count on it (the page's own favicon when there is nothing to count). */
function badgedIcon(n: number): string {
  const label = n > 9 ? '9+' : String(n);
  const svg =
    `<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'>` +
    `<rect width='32' height='32' rx='7' fill='#4f46e5'/>` +
    `<path d='M9 11h14M9 16h10M9 21h7' stroke='white' stroke-width='2.5' stroke-linecap='round'/>` +
    `<circle cx='24' cy='24' r='8' fill='#dc2626' stroke='white' stroke-width='1.5'/>` +
    `<text x='24' y='27.5' font-family='system-ui,sans-serif' font-size='${label.length > 1 ? 8 : 10}' ` +
    `font-weight='700' text-anchor='middle' fill='white'>${label}</text></svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

function badgeWaiting(client: Client): void {
  const link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
  const plain = link?.href ?? '';
  const nav = navigator as Navigator & {
    setAppBadge?: (n: number) => Promise<void>;
    clearAppBadge?: () => Promise<void>;
  };
  let shown = 0;
  const update = () => {
    const n = waitingCount(client.store.get());
    if (n === shown) return;
    shown = n;
    if (link) link.href = n ? badgedIcon(n) : plain;
    void (n ? nav.setAppBadge?.(n) : nav.clearAppBadge?.())?.catch(() => undefined);
  };
  client.store.subscribe(update);
  update();
}

export function startPush(client: Client): void {
  registerServiceWorker();
  listenToWorker(client);
  badgeWaiting(client);
}
