import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { errors } from '../domain/errors.ts';
import { readJsonFile, setAside, writeJsonFileAtomic } from './json-file.ts';
import { type PushPreference, type SubscriptionRecord, SubscriptionsFileSchema } from './schema.ts';

// The devices to push to, kept in `<data dir>/push-subscriptions.json` (mode 0600): a handful of rows that
// only this instance reads, so a file rather than the database (each instance of a PostgreSQL deployment
// keeps the devices that subscribed through it; docs/CONTRACT.md "Push and the installable app"). Every
// change is serialized, written atomically, and becomes visible only once it is on disk: an answered request
// survives kill -9, and a failed write changes nothing.

const FILE = 'push-subscriptions.json';
/** More devices than anyone has: past it the one unused the longest is dropped. */
export const MAX_SUBSCRIPTIONS = 100;

export interface SubscribeInput {
  endpoint: string;
  keys: { p256dh: string; auth: string };
  expirationTime?: number | null;
  preference?: PushPreference;
}

export class PushSubscriptions {
  private current = new Map<string, SubscriptionRecord>();
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly file: string) {}

  static async load(dataDir: string, log: FastifyBaseLogger): Promise<PushSubscriptions> {
    const subs = new PushSubscriptions(join(dataDir, FILE));
    let raw: unknown;
    try {
      raw = await readJsonFile(subs.file);
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      raw = null;
    }
    if (raw === undefined) return subs;
    const parsed = SubscriptionsFileSchema.safeParse(raw);
    if (parsed.success) {
      for (const r of parsed.data.subscriptions) subs.current.set(r.endpoint, r);
    } else {
      const aside = await setAside(subs.file);
      log.warn({ file: aside }, 'push: the subscriptions file was unreadable; set aside, starting with none');
    }
    return subs;
  }

  list(): SubscriptionRecord[] {
    return [...this.current.values()];
  }

  get size(): number {
    return this.current.size;
  }

  /** True when some device wants at least one kind of push. */
  hasAudience(): boolean {
    for (const r of this.current.values()) if (r.preference !== 'off') return true;
    return false;
  }

  /** Adds a device or refreshes it (same endpoint: new keys; preference kept unless given). */
  upsert(input: SubscribeInput, now = Date.now()): Promise<{ record: SubscriptionRecord; created: boolean }> {
    return this.change((next) => {
      const prev = next.get(input.endpoint);
      const record: SubscriptionRecord = {
        endpoint: input.endpoint,
        keys: { p256dh: input.keys.p256dh, auth: input.keys.auth },
        expirationTime: input.expirationTime ?? null,
        preference: input.preference ?? prev?.preference ?? 'all',
        created_at: prev?.created_at ?? now,
        updated_at: now,
      };
      // Re-inserted last: the map's order is least recently updated first.
      next.delete(input.endpoint);
      next.set(input.endpoint, record);
      while (next.size > MAX_SUBSCRIPTIONS) next.delete(next.keys().next().value as string);
      return { record, created: !prev };
    });
  }

  /** The device's choice; null when the endpoint is unknown (nothing written). */
  setPreference(
    endpoint: string,
    preference: PushPreference,
    now = Date.now(),
  ): Promise<SubscriptionRecord | null> {
    return this.change((next) => {
      const prev = next.get(endpoint);
      if (!prev) return null;
      const record = { ...prev, preference, updated_at: now };
      next.set(endpoint, record);
      return record;
    });
  }

  /** True when it was there. */
  remove(endpoint: string): Promise<boolean> {
    return this.change((next) => next.delete(endpoint));
  }

  /**
   * Runs `fn` on a copy of the rows, after every earlier change; writes the copy and makes it current
   * only if `fn` changed something. A write that fails leaves the rows as they were: 503, nothing changed.
   */
  private change<T>(fn: (next: Map<string, SubscriptionRecord>) => T): Promise<T> {
    const run = async () => {
      const next = new Map(this.current);
      const result = fn(next);
      if (!sameRows(next, this.current)) {
        try {
          await writeJsonFileAtomic(this.file, { version: 1, subscriptions: [...next.values()] });
        } catch (err) {
          throw errors.storeUnavailable(err);
        }
        this.current = next;
      }
      return result;
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }
}

function sameRows(a: Map<string, SubscriptionRecord>, b: Map<string, SubscriptionRecord>): boolean {
  if (a.size !== b.size) return false;
  const bs = [...b.entries()];
  return [...a.entries()].every(([k, v], i) => bs[i]?.[0] === k && bs[i]?.[1] === v);
}
