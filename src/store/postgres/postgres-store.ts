import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { StartupError } from '../../data-dir.ts';
import { StoreUnavailableError } from '../../domain/errors.ts';
import type { Store, Tx } from '../types.ts';
import { AppendWatcher } from './append-watcher.ts';
import { checkout, describeUrl } from './connection.ts';
import { migrate } from './migrate.ts';
import { isRetryable, isUnavailable, mapError } from './pg-errors.ts';
import { PgReads } from './pg-reads.ts';
import { PgTx } from './pg-tx.ts';
import { clientConfig, DEFAULTS, type PostgresStoreOptions, poolConfig } from './pool-config.ts';

// The Store on PostgreSQL, for several gmgui instances sharing one database. How each guarantee is kept:
// - atomicity and durability: one BEGIN … COMMIT per command on one pooled connection; the promise
//   resolves after COMMIT returns (synchronous_commit as the server is configured; the default is on).
// - isolation: READ COMMITTED plus row locks on what a command reads to change it (pg-tx.ts).
// - event order: appends are numbered at commit time under the log head's lock (event-append.ts).
// - reads: plain pooled queries that answer as SQLite's do (pg-reads.ts).
// - idempotency across instances: the idempotency primary key; a losing twin re-runs and replays.
// - fan-out: AppendWatcher (LISTEN/NOTIFY as a wake-up, polling as the safety net).
// - a lost database is a StoreUnavailableError (503), for reads and writes alike.

export type { PostgresStoreOptions } from './pool-config.ts';

export async function openPostgresStore(
  url: string,
  options: PostgresStoreOptions = {},
): Promise<PostgresStore> {
  const opts: Required<PostgresStoreOptions> = { ...DEFAULTS, ...options };
  const pool = new pg.Pool(poolConfig(url, opts));
  // An idle pooled connection that breaks (server restart, network) emits here; without a handler that
  // would crash the process. The pool drops the client; the next query opens a new one.
  pool.on('error', () => undefined);
  try {
    const { client, release } = await checkout(pool);
    try {
      await migrate(client);
    } finally {
      release();
    }
  } catch (e) {
    await pool.end().catch(() => undefined);
    if (isUnavailable(e)) {
      throw new StartupError(
        `Cannot reach PostgreSQL at ${describeUrl(url)} (DATABASE_URL): ${(e as Error).message}. ` +
          'Start the database or fix DATABASE_URL.',
        5,
      );
    }
    throw e;
  }
  const store = new PostgresStore(pool, url, opts);
  try {
    await store.start();
  } catch (e) {
    await store.close().catch(() => undefined);
    throw mapError(e);
  }
  return store;
}

export class PostgresStore extends PgReads implements Store {
  readonly kind = 'postgres' as const;
  private readonly watcher: AppendWatcher;
  /** Transactions re-run after a conflict (tests and the benchmark read it). */
  retries = 0;
  private inFlight = new Set<Promise<unknown>>();

  constructor(
    pool: pg.Pool,
    url: string,
    private readonly opts: Required<PostgresStoreOptions>,
  ) {
    super(pool);
    this.watcher = new AppendWatcher({
      clientConfig: clientConfig(url, opts),
      pollMs: opts.pollMs,
      readHead: () => this.headSeq(),
      // The watcher recovers by itself (reconnect, poll); a failure only delays wake-ups.
      onError: () => undefined,
    });
  }

  async start(): Promise<void> {
    await this.watcher.start();
  }

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreUnavailableError(new Error('store closed')));
    const p = this.runWithRetries(fn);
    this.inFlight.add(p);
    const done = () => this.inFlight.delete(p);
    p.then(done, done);
    return p;
  }

  private async runWithRetries<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.runOnce(fn);
      } catch (e) {
        if (!isRetryable(e) || attempt >= this.opts.maxAttempts) throw mapError(e);
        this.retries++;
        // Jittered, growing pause so that colliding transactions do not collide again in lockstep.
        await sleep(Math.random() * Math.min(100, 2 ** attempt));
      }
    }
  }

  private async runOnce<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const { client, release } = await checkout(this.pool);
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      try {
        const tx = new PgTx(client, Date.now());
        const value = await fn(tx);
        const lastSeq = await tx.commit();
        if (lastSeq > 0) this.watcher.report(lastSeq);
        return value;
      } catch (e) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          // The connection is gone (the server rolled back for us): do not return it to the pool.
          broken = rollbackError as Error;
        }
        throw e;
      }
    } catch (e) {
      if (!broken && isUnavailable(e)) broken = e as Error;
      throw e;
    } finally {
      release(broken);
    }
  }

  onAppend(listener: (lastSeq: number) => void): () => void {
    return this.watcher.on(listener);
  }

  async purgeIdempotency(olderThan: number): Promise<number> {
    if (this.closed) throw new StoreUnavailableError(new Error('store closed'));
    try {
      return (
        (await this.pool.query('DELETE FROM idempotency WHERE created_at < $1', [olderThan])).rowCount ?? 0
      );
    } catch (e) {
      throw mapError(e);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Let running transactions finish (their callers are waiting for an answer), then let go.
    await Promise.allSettled([...this.inFlight]);
    await this.watcher.close();
    await this.pool.end();
  }
}
