import { after, before } from 'node:test';

// One-line test setup: `const s = useX()` at the top of a file or describe() registers the hooks that
// start the thing before the tests and stop it after them, and hands back a handle that reads through
// to the thing once it exists.
//
// Two Node 20 behaviours shape this: before() hooks at the top level of a file run concurrently (not
// one after the other), so ours wait for each other in a queue and setup() joins that queue; after()
// hooks run in the order they were registered, so each resource stops the ones registered after it
// first (servers before the database they use).

let queue: Promise<unknown> = Promise.resolve();

/** Runs `fn` once everything queued before it has finished (whether it worked or not). */
function inTurn<T>(fn: () => Promise<T>): Promise<T> {
  const run = queue.then(fn, fn);
  queue = run.catch(() => undefined);
  return run;
}

/** A before() that runs after the use…() resources and setup() hooks registered earlier have started. */
export function setup(fn: () => Promise<void>): void {
  before(() => inTurn(fn));
}

interface Live {
  stop: (() => Promise<void>) | null;
}
const live: Live[] = [];

/**
 * Starts a resource in a before hook and stops it in an after hook of the current suite; returns a
 * handle usable from tests and from later hooks.
 */
export function useResource<T extends object>(
  what: string,
  start: () => Promise<T>,
  stop: (resource: T) => Promise<void>,
): T {
  let current: T | undefined;
  const entry: Live = { stop: null };
  live.push(entry);
  setup(async () => {
    const started = await start();
    current = started;
    entry.stop = () => stop(started);
  });
  after(async () => {
    // This one and whatever was registered after it and still runs, newest first.
    const errors: unknown[] = [];
    for (const e of live.slice(live.indexOf(entry)).reverse()) {
      const s = e.stop;
      e.stop = null;
      await s?.().catch((err: unknown) => errors.push(err));
    }
    if (errors.length) throw errors[0];
  });
  return lazy(what, () => current);
}

/** A stand-in that forwards every property read to `get()`'s value, which must exist by then. */
export function lazy<T extends object>(what: string, get: () => T | undefined): T {
  const target = (): T => {
    const v = get();
    if (!v) throw new Error(`${what} is not started yet: use it inside a test or a later hook`);
    return v;
  };
  return new Proxy({} as T, {
    get(_, prop) {
      // Not a promise: `await handle` must not look for a then().
      if (prop === 'then') return undefined;
      const t = target();
      const v = Reflect.get(t, prop, t);
      return typeof v === 'function' ? v.bind(t) : v;
    },
    set(_, prop, value) {
      return Reflect.set(target(), prop, value);
    },
    has(_, prop) {
      return Reflect.has(target(), prop);
    },
  });
}
