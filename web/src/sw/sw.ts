// The service worker (docs/CONTRACT.md "Push and the installable app"). Built on its own by web/sw-build.ts
// as a classic script at the app's base (`<BASE_URL>/sw.js`), never part of the page's bundle. It
// - shows pushes as notifications (or hands them to a visible tab as an in-page notice), and opens
//   the conversation when one is tapped;
// - keeps the app shell of its own build (cache named by the build's hash, filled at install) and
//   the last answers of the API reads a reload needs, so a reload offline shows the app, its cached
//   threads and the outbox (IndexedDB) instead of the browser's error page;
// - takes over as soon as a new build is installed (skipWaiting + clients.claim); the page reloads
//   itself once when that is safe (web/src/push/register-sw.ts).

import { type Strategy, strategyFor } from './routes';
import type { FetchEvent, PushEvent, ServiceWorkerScope } from './sw-types';

declare const __SW_VERSION__: string;
declare const __SW_SHELL__: string[];

const sw = globalThis as unknown as ServiceWorkerScope;
const scope = new URL(sw.registration.scope);
// Several gmgui servers may share an origin under different BASE_URLs: each keeps its own caches.
const SHELL_PREFIX = `gmgui-shell:${scope.pathname}:`;
const SHELL_CACHE = `${SHELL_PREFIX}${__SW_VERSION__}`;
const API_CACHE = `gmgui-api:${scope.pathname}`;
/** Bounded: the newest answers are kept (a re-read moves an answer to the end). */
const API_MAX_ENTRIES = 300;
const SHELL = new Set(__SW_SHELL__);

sw.addEventListener('install', (e) => {
  e.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL_CACHE);
      // `reload`: from the server, not from an HTTP cache that may hold the previous build.
      await cache.addAll(['', ...SHELL].map((p) => new Request(new URL(p, scope), { cache: 'reload' })));
      await sw.skipWaiting();
    })(),
  );
});

sw.addEventListener('activate', (e) => {
  e.waitUntil(
    (async () => {
      for (const name of await caches.keys())
        if (name.startsWith(SHELL_PREFIX) && name !== SHELL_CACHE) await caches.delete(name);
      await sw.clients.claim();
      // The page that installed this worker read the conversation list before the worker could keep
      // it: read it once more, so even the first reload offline has the list.
      await warm('api/conversations');
    })(),
  );
});

sw.addEventListener('fetch', (e) => {
  const how: Strategy = strategyFor(e.request, scope, SHELL);
  if (how === 'page') e.respondWith(page(e.request));
  else if (how === 'shell') e.respondWith(shell(e.request));
  else if (how === 'api') e.respondWith(api(e));
});

async function page(req: Request): Promise<Response> {
  try {
    return await fetch(req);
  } catch {
    const cached = await caches.match(new URL('', scope).href, { cacheName: SHELL_CACHE });
    return cached ?? Response.error();
  }
}

async function shell(req: Request): Promise<Response> {
  const cache = await caches.open(SHELL_CACHE);
  const hit = await cache.match(req, { ignoreSearch: true });
  if (hit) return hit;
  const res = await fetch(req);
  // A hashed file of this build the install did not list (a lazily loaded chunk): keep it too.
  if (res.ok && new URL(req.url).pathname.includes('/assets/')) await cache.put(req, res.clone());
  return res;
}

async function api(e: FetchEvent): Promise<Response> {
  const req = e.request;
  let res: Response;
  try {
    res = await fetch(req);
  } catch {
    const cached = await (await caches.open(API_CACHE)).match(req);
    return cached ?? Response.error();
  }
  if (res.status === 200) e.waitUntil(keep(req, res.clone()));
  // Signed out (or the token changed): what was kept belongs to the old access.
  else if (res.status === 401) e.waitUntil(caches.delete(API_CACHE));
  return res;
}

async function warm(path: string): Promise<void> {
  try {
    const req = new Request(new URL(path, scope), {
      credentials: 'same-origin',
      headers: { accept: 'application/json' },
    });
    const res = await fetch(req);
    if (res.status === 200) await keep(req, res);
  } catch {
    // Offline or signed out: nothing to keep.
  }
}

async function keep(req: Request, res: Response): Promise<void> {
  const cache = await caches.open(API_CACHE);
  await cache.put(req, res);
  const keys = await cache.keys();
  for (const old of keys.slice(0, Math.max(0, keys.length - API_MAX_ENTRIES))) await cache.delete(old);
}

// ---- pushes ----

interface PushPayload {
  kind: string;
  conversationId: string;
  title: string;
  body: string;
  url: string;
}

function readPayload(e: PushEvent): PushPayload {
  let p: Partial<PushPayload> = {};
  try {
    p = (e.data?.json() ?? {}) as Partial<PushPayload>;
  } catch {
    // Not JSON: shown as a generic notice.
  }
  const str = (v: unknown, fallback: string) => (typeof v === 'string' && v ? v : fallback);
  return {
    kind: str(p.kind, 'notice'),
    conversationId: str(p.conversationId, ''),
    title: str(p.title, 'gmgui'),
    body: str(p.body, 'Something needs your attention.'),
    url: str(p.url, scope.pathname),
  };
}

/** The conversation's address inside this app; anything pointing elsewhere opens the app's start. */
function appUrl(url: string): string {
  const u = new URL(url, scope);
  return u.origin === scope.origin && u.pathname.startsWith(scope.pathname) ? u.href : scope.href;
}

sw.addEventListener('push', (e) => {
  e.waitUntil(
    (async () => {
      const p = readPayload(e);
      const windows = await sw.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const visible = windows.filter((w) => w.visibilityState === 'visible');
      if (visible.length) {
        // The app is on screen: it says so in the page instead of a system notification.
        for (const w of visible) w.postMessage({ type: 'gmgui:push', payload: p });
        return;
      }
      await sw.registration.showNotification(p.title, {
        body: p.body,
        // One notification per conversation: a newer one replaces the older.
        tag: p.conversationId || p.kind,
        data: { url: appUrl(p.url) },
        icon: new URL('icons/icon-192.png', scope).href,
        badge: new URL('icons/badge-96.png', scope).href,
      });
    })(),
  );
});

sw.addEventListener('notificationclick', (e) => {
  e.notification.close();
  const target = appUrl((e.notification.data as { url?: string } | null)?.url ?? scope.href);
  e.waitUntil(
    (async () => {
      const windows = await sw.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const open = windows.find((w) => w.url.startsWith(scope.href));
      if (open) {
        // A hash route: the open app switches conversation without a reload.
        open.postMessage({ type: 'gmgui:open', url: target });
        await open.focus();
        return;
      }
      await sw.clients.openWindow(target);
    })(),
  );
});
