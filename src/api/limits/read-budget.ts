// The memory of history reads, bounded for the whole process (README "Limits"). Every batch of a
// history read (an HTTP page, a WebSocket catch-up page) takes its turn here: on SQLite one batch runs
// at a time (its reads are synchronous anyway, so nothing is lost, and each batch is weighed before the
// next one starts); on PostgreSQL a few at once, since those wait on the network. While the pages in
// hand add up to more than the capacity, only the reader holding the most may go on — it finishes its
// page and gives its bytes back, then the others continue. So eight readers of one long turn hold a few
// pages between them, and a single huge event is built by one reader at a time, not by all at once.

/** One reader's share: the bytes of the page it is building or answering. */
export interface Holder {
  /** Waits for this reader's turn to read a batch. */
  turn(): Promise<void>;
  /** Ends the turn; the reader now holds `bytes` in all. */
  done(bytes: number): void;
  /** Gives everything back (the page was handed on, or the read failed). Idempotent. */
  release(): void;
}

export class ReadBudget {
  private used = 0;
  private running = 0;
  private readonly held = new Map<symbol, number>();
  private readonly waiting: Array<{ who: symbol; go: () => void }> = [];

  constructor(
    readonly capacity: number,
    /** Batches that may run at the same time. */
    readonly parallel = 1,
  ) {}

  holder(): Holder {
    const who = Symbol('reader');
    let gone = false;
    return {
      turn: () =>
        new Promise<void>((go) => {
          this.waiting.push({ who, go });
          this.pump();
        }),
      done: (bytes) => {
        if (!gone) this.set(who, bytes);
        this.running--;
        this.pump();
      },
      release: () => {
        if (gone) return;
        gone = true;
        this.set(who, 0);
        this.held.delete(who);
        this.pump();
      },
    };
  }

  private set(who: symbol, bytes: number): void {
    this.used += bytes - (this.held.get(who) ?? 0);
    this.held.set(who, bytes);
  }

  private mayGo(who: symbol): boolean {
    if (this.used <= this.capacity) return true;
    const mine = this.held.get(who) ?? 0;
    for (const b of this.held.values()) if (b > mine) return false;
    return true;
  }

  private pump(): void {
    while (this.running < this.parallel) {
      const i = this.waiting.findIndex((w) => this.mayGo(w.who));
      if (i < 0) return;
      const [next] = this.waiting.splice(i, 1);
      this.running++;
      next.go();
    }
  }
}

const CAPACITY = 16 * 1024 * 1024;
const budgets = { sqlite: new ReadBudget(CAPACITY, 1), postgres: new ReadBudget(CAPACITY, 8) };

/** The process's budget for history reads (HTTP pages and WebSocket catch-up alike) on its store. */
export function historyBudget(kind: 'sqlite' | 'postgres'): ReadBudget {
  return budgets[kind];
}
