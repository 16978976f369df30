// Registers the service worker (web/src/sw/sw.ts, built as `sw.js` at the app's base) once the page
// has loaded, so it never competes with the first screen. When a new build's worker takes over a page
// that an older one controlled, the page reloads itself once, as soon as that loses nothing: the tab
// is hidden, or no dialog is open and no text field has focus (the composer's draft and the outbox
// are kept across reloads anyway). docs/CONTRACT.md "Push and the installable app".

const UPDATE_CHECK_MS = 30 * 60_000;
const SAFE_RETRY_MS = 2_000;

function safeToReload(): boolean {
  if (document.visibilityState === 'hidden') return true;
  if (document.querySelector('dialog[open]')) return false;
  const a = document.activeElement;
  return !(
    a instanceof HTMLInputElement ||
    a instanceof HTMLTextAreaElement ||
    (a as HTMLElement | null)?.isContentEditable
  );
}

function reloadWhenSafe(): void {
  const attempt = () => {
    if (safeToReload()) location.reload();
    else setTimeout(attempt, SAFE_RETRY_MS);
  };
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') location.reload();
  });
  attempt();
}

/** True when this browser can run the worker here (service workers need HTTPS or localhost). */
export function canUseWorker(): boolean {
  return 'serviceWorker' in navigator && isSecureContext;
}

export function registerServiceWorker(): void {
  if (!canUseWorker()) return;
  const container = navigator.serviceWorker;
  // The first worker to take over a page that was loaded without one serves the build the page
  // already runs: nothing to reload. Any later change of worker is a new build.
  let controlled = !!container.controller;
  let reloading = false;
  container.addEventListener('controllerchange', () => {
    const first = !controlled;
    controlled = true;
    if (first || reloading) return;
    reloading = true;
    reloadWhenSafe();
  });
  const register = async () => {
    try {
      const reg = await container.register('./sw.js', { scope: './', updateViaCache: 'none' });
      // Look for a new build when the app comes back to the screen, when the network returns, and now and then.
      const check = () => void reg.update().catch(() => undefined);
      document.addEventListener('visibilitychange', () => {
        if (document.visibilityState === 'visible') check();
      });
      addEventListener('online', check);
      setInterval(check, UPDATE_CHECK_MS);
    } catch {
      // No worker (the Vite dev server has no sw.js, some private modes refuse): the app works without.
    }
  };
  if (document.readyState === 'complete') void register();
  else addEventListener('load', () => void register(), { once: true });
}

/** The worker's registration once there is one (null when none can be). */
export async function workerRegistration(timeoutMs = 10_000): Promise<ServiceWorkerRegistration | null> {
  if (!canUseWorker()) return null;
  const now = await navigator.serviceWorker.getRegistration('./');
  if (now) return now;
  return Promise.race([
    navigator.serviceWorker.ready,
    new Promise<null>((r) => setTimeout(() => r(null), timeoutMs)),
  ]);
}
