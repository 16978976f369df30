import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.ts';
import type { Store } from '../store/types.ts';
import type { PushMessage } from './messages.ts';
import { PushNotifier } from './notifier.ts';
import { sendToAll, wants } from './sender.ts';
import { PushSubscriptions } from './subscriptions.ts';
import { loadOrCreateVapidKeys, type VapidKeys } from './vapid.ts';

// Web Push for one server instance (docs/CONTRACT.md "Push and the installable app"): its VAPID keys, the
// devices that subscribed through it, and the log reader that decides what to push. The API routes are in
// src/api/routes/push.ts.

/** A stop waits this long at most for pushes still on their way (a slow push service must not hold it up). */
const CLOSE_GRACE_MS = 2_000;

export interface PushDeps {
  config: Pick<Config, 'dataDir' | 'baseUrl' | 'pushMinTurnMs' | 'pushSubject'>;
  store: Store;
  log: FastifyBaseLogger;
}

export class PushService {
  private keys: Promise<VapidKeys> | null = null;
  private readonly inflight = new Set<Promise<void>>();
  private notifier: PushNotifier | null = null;

  private constructor(
    private readonly deps: PushDeps,
    readonly subscriptions: PushSubscriptions,
  ) {}

  static async open(deps: PushDeps): Promise<PushService> {
    const service = new PushService(deps, await PushSubscriptions.load(deps.config.dataDir, deps.log));
    service.notifier = await PushNotifier.start({
      store: deps.store,
      baseUrl: deps.config.baseUrl,
      minTurnMs: deps.config.pushMinTurnMs,
      log: deps.log,
      hasAudience: () => service.subscriptions.hasAudience(),
      deliver: (m) => service.deliver(m),
    });
    return service;
  }

  /** The VAPID key pair, made on first need (one pair even when asked for concurrently). */
  vapidKeys(): Promise<VapidKeys> {
    this.keys ??= loadOrCreateVapidKeys(this.deps.config.dataDir, this.deps.log).catch((e) => {
      this.keys = null;
      throw e;
    });
    return this.keys;
  }

  private deliver(m: PushMessage): void {
    const targets = this.subscriptions.list().filter((s) => wants(s.preference, m.kind));
    if (!targets.length) return;
    const p = this.vapidKeys()
      .then((keys) =>
        sendToAll(targets, m, {
          keys,
          subject: this.deps.config.pushSubject,
          log: this.deps.log,
          onGone: (endpoint) => this.subscriptions.remove(endpoint),
        }),
      )
      .catch((err) => this.deps.log.warn({ err }, 'push: sending failed'))
      .finally(() => this.inflight.delete(p));
    this.inflight.add(p);
  }

  /** Stops reading the log and gives the pushes already on their way a moment to finish. */
  async close(): Promise<void> {
    await this.notifier?.close();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.inflight),
      new Promise((r) => {
        timer = setTimeout(r, CLOSE_GRACE_MS);
      }),
    ]);
    clearTimeout(timer);
  }
}
