// This device's notification choice (docs/CONTRACT.md "Push and the installable app"): the browser's push
// subscription, made with the server's VAPID key, and the preference the server keeps with it. The server is
// the truth: on load the subscription is sent again (idempotent), which also tells the server about keys the
// browser rotated, and its answer says the current choice.

import type { Api } from '../net/api';
import { workerRegistration } from './register-sw';

export type Choice = 'all' | 'needed' | 'off';
export type Support = 'ok' | 'unsupported' | 'insecure' | 'denied';

export function pushSupport(): Support {
  if (!isSecureContext) return 'insecure';
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window))
    return 'unsupported';
  return Notification.permission === 'denied' ? 'denied' : 'ok';
}

function fromBase64url(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function sameBytes(a: ArrayBuffer | null, b: Uint8Array): boolean {
  if (!a || a.byteLength !== b.length) return false;
  const x = new Uint8Array(a);
  return x.every((v, i) => v === b[i]);
}

async function serverKey(api: Api): Promise<Uint8Array<ArrayBuffer>> {
  const { publicKey } = await api.call<{ publicKey: string }>('GET', 'api/push/key');
  return fromBase64url(publicKey);
}

/** The subscription, if it was made with the server's current key (an old one is dropped). */
async function currentSubscription(
  reg: ServiceWorkerRegistration,
  key: Uint8Array,
): Promise<PushSubscription | null> {
  const sub = await reg.pushManager.getSubscription();
  if (sub && !sameBytes(sub.options.applicationServerKey, key)) {
    await sub.unsubscribe();
    return null;
  }
  return sub;
}

async function register(api: Api, sub: PushSubscription, preference?: Choice): Promise<Choice> {
  const r = await api.call<{ subscription: { preference: Choice } }>('POST', 'api/push/subscriptions', {
    ...sub.toJSON(),
    ...(preference ? { preference } : {}),
  });
  return r.subscription.preference;
}

export async function readChoice(api: Api): Promise<Choice> {
  const reg = await workerRegistration(3_000);
  if (!reg || Notification.permission !== 'granted') return 'off';
  const sub = await currentSubscription(reg, await serverKey(api));
  return sub ? register(api, sub) : 'off';
}

export async function choose(api: Api, choice: Choice): Promise<Choice> {
  const reg = await workerRegistration();
  if (!reg) throw new Error('this browser did not start the app’s service worker');
  if (choice === 'off') {
    const sub = await reg.pushManager.getSubscription();
    if (sub) await api.call('PATCH', 'api/push/subscriptions', { endpoint: sub.endpoint, preference: 'off' });
    return 'off';
  }
  if (Notification.permission !== 'granted' && (await Notification.requestPermission()) !== 'granted')
    throw new Error('notifications were not allowed');
  const key = await serverKey(api);
  const sub =
    (await currentSubscription(reg, key)) ??
    (await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key }));
  return register(api, sub, choice);
}
