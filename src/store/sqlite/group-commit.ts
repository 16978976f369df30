import type Database from 'better-sqlite3';
import { StoreUnavailableError } from '../../domain/errors.ts';
import { observeCommit } from '../../metrics/registry.ts';
import type { Tx } from '../types.ts';
import { mapSqliteError } from './sqlite-errors.ts';

// Group commit: transactions are queued and run back to back inside one SQLite transaction, each in its
// own SAVEPOINT so that one failing command rolls back alone. One fsync then acknowledges the whole
// batch, which is what makes synchronous=FULL cheap (see sqlite-store.ts for the durability choice).
// A caller's promise settles only after the COMMIT that holds its command.

/** A Tx that reports the newest seq it appended (0: none). */
export interface BatchTx extends Tx {
  readonly lastSeq: number;
}

export interface GroupCommitOptions<T extends BatchTx> {
  /** The writer connection. */
  db: Database.Database;
  /** A Tx for one command of a batch; `now` is that command's clock reading. */
  newTx: (now: number) => T;
  /** After a COMMIT whose commands appended events, with the newest seq. */
  onCommit: (lastSeq: number) => void;
}

type Queued<T> = {
  fn: (tx: T) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
};

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

const MAX_BATCH = 256;

export class GroupCommit<T extends BatchTx> {
  private queue: Array<Queued<T>> = [];
  private scheduled = false;
  /** True from the moment a drain starts until it has seen the queue empty (set and cleared synchronously). */
  private running = false;
  private draining: Promise<void> | null = null;

  constructor(private readonly opts: GroupCommitOptions<T>) {}

  run<R>(fn: (tx: T) => Promise<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      this.kick();
    });
  }

  /** Resolves once everything queued so far has committed or failed. */
  async settled(): Promise<void> {
    while (this.scheduled || this.draining) {
      await (this.draining ?? new Promise((r) => setImmediate(r)));
    }
  }

  // `running` (not `draining`) decides whether to schedule: a caller resumed by a commit runs before the
  // drain promise settles, and its next transaction must not wait for a wake-up that never comes.
  private kick(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    // Wait for the rest of this event-loop turn: requests that arrived together commit together.
    setImmediate(() => {
      this.scheduled = false;
      this.running = true;
      const p = this.drain();
      this.draining = p;
      void p.finally(() => {
        if (this.draining === p) this.draining = null;
      });
    });
  }

  private async drain(): Promise<void> {
    try {
      // The empty-queue check and clearing `running` happen in one synchronous step (see kick).
      for (;;) {
        if (this.queue.length === 0) {
          this.running = false;
          return;
        }
        await this.runBatch(this.queue.splice(0, MAX_BATCH));
      }
    } finally {
      // Normally already cleared above; this covers an unexpected throw, after which anything still
      // queued gets a new drain instead of waiting forever.
      this.running = false;
      if (this.queue.length > 0) this.kick();
    }
  }

  /** One BEGIN … COMMIT for the batch; settles every caller in it. */
  private async runBatch(batch: Array<Queued<T>>): Promise<void> {
    const { db } = this.opts;
    const failAll = (e: unknown) => {
      for (const q of batch) q.reject(new StoreUnavailableError(e));
    };
    const started = performance.now();
    try {
      db.exec('BEGIN IMMEDIATE');
    } catch (e) {
      failAll(e);
      return;
    }
    const result = await this.runCommands(batch);
    if ('lost' in result) {
      // SQLite rolled the whole transaction back itself (I/O error, disk full): the batch is lost.
      rollback(db);
      failAll(result.lost);
      return;
    }
    try {
      db.exec('COMMIT');
    } catch (e) {
      rollback(db);
      failAll(e);
      return;
    }
    // GET /api/metrics: BEGIN to durable COMMIT of one batch, and how many commands it acknowledged.
    observeCommit((performance.now() - started) / 1000, batch.length);
    batch.forEach((q, i) => {
      const o = result.outcomes[i];
      if (o.ok) q.resolve(o.value);
      else q.reject(o.error);
    });
    if (result.lastSeq > 0) this.opts.onCommit(result.lastSeq);
  }

  /** Each command in its savepoint; `lost` when the enclosing transaction did not survive one of them. */
  private async runCommands(
    batch: Array<Queued<T>>,
  ): Promise<{ outcomes: Outcome[]; lastSeq: number } | { lost: unknown }> {
    const { db } = this.opts;
    const outcomes: Outcome[] = [];
    let lastSeq = 0;
    for (const q of batch) {
      const tx = this.opts.newTx(Date.now());
      try {
        db.exec('SAVEPOINT cmd');
      } catch (e) {
        return { lost: e };
      }
      try {
        const value = await q.fn(tx);
        db.exec('RELEASE cmd');
        outcomes.push({ ok: true, value });
        if (tx.lastSeq > lastSeq) lastSeq = tx.lastSeq;
      } catch (error) {
        try {
          db.exec('ROLLBACK TO cmd');
          db.exec('RELEASE cmd');
        } catch (e) {
          return { lost: e };
        }
        outcomes.push({ ok: false, error: mapSqliteError(error) });
      }
    }
    return { outcomes, lastSeq };
  }
}

function rollback(db: Database.Database): void {
  if (!db.inTransaction) return;
  try {
    db.exec('ROLLBACK');
  } catch {
    // Already rolled back by SQLite.
  }
}
