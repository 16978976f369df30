import type WebPush from 'web-push';

// web-push (VAPID signing and RFC 8291 aes128gcm encryption) is loaded on first use: a server nobody
// subscribed to never pays for it (memory at start, bench/store.ts).

let lib: Promise<typeof WebPush> | null = null;

export function webPush(): Promise<typeof WebPush> {
  lib ??= import('web-push').then((m) => m.default);
  return lib;
}
