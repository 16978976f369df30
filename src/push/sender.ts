import type { FastifyBaseLogger } from 'fastify';
import type { WebPushError } from 'web-push';
import type { PushKind, PushMessage } from './messages.ts';
import type { PushPreference, SubscriptionRecord } from './schema.ts';
import type { VapidKeys } from './vapid.ts';
import { webPush } from './web-push-lib.ts';
import { countPush } from '../metrics/registry.ts';

// Sends one message to each device that wants it: encrypted for that device (RFC 8291, aes128gcm,
// web-push's default) and signed with the server's VAPID key (RFC 8292). A push service answering
// 404 or 410 says the subscription is gone for good: it is dropped. Other failures are logged and
// the device stays (a push service can be down for a while).

const TIMEOUT_MS = 10_000;
const PARALLEL = 8;

/** How long a push service keeps trying to reach an offline device. A permission request stays relevant longer. */
const TTL_S: Record<PushKind, number> = { permission_requested: 24 * 3600, turn_ended: 3600 };

export function wants(preference: PushPreference, kind: PushKind): boolean {
  return preference === 'all' || (preference === 'needed' && kind === 'permission_requested');
}

export interface SendDeps {
  keys: VapidKeys;
  subject: string;
  log: FastifyBaseLogger;
  /** The push service said this subscription no longer exists. */
  onGone(endpoint: string): Promise<unknown>;
}

export async function sendToAll(
  targets: SubscriptionRecord[],
  m: PushMessage,
  deps: SendDeps,
): Promise<void> {
  const lib = await webPush();
  const payload = JSON.stringify(m);
  const send = async (s: SubscriptionRecord) => {
    try {
      await lib.sendNotification({ endpoint: s.endpoint, keys: s.keys }, payload, {
        vapidDetails: {
          subject: deps.subject,
          publicKey: deps.keys.publicKey,
          privateKey: deps.keys.privateKey,
        },
        TTL: TTL_S[m.kind],
        urgency: m.kind === 'permission_requested' ? 'high' : 'normal',
        timeout: TIMEOUT_MS,
      });
      countPush('sent');
    } catch (err) {
      const status = (err as Partial<WebPushError>).statusCode;
      const host = safeHost(s.endpoint);
      if (status === 404 || status === 410) {
        countPush('gone');
        deps.log.info({ host, status }, 'push: subscription gone; dropped');
        await deps
          .onGone(s.endpoint)
          .catch((e) => deps.log.warn({ err: e }, 'push: could not drop a subscription'));
        return;
      }
      countPush('failed');
      deps.log.warn({ host, status, err: status ? undefined : err }, 'push: delivery failed');
    }
  };
  for (let i = 0; i < targets.length; i += PARALLEL)
    await Promise.all(targets.slice(i, i + PARALLEL).map(send));
}

/** The push service's host, for logs: the endpoint's path is a secret capability. */
function safeHost(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return '?';
  }
}
