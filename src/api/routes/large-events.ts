import { setTimeout as sleep } from 'node:timers/promises';
import type { DataPiece, Store } from '../../store/types.ts';

// Sending one large event (history-pages.ts) to everyone who reads it at about the same time. On SQLite
// every slice costs a read of the whole row in the store's worker (SQLite cannot read part of a value),
// so eight tabs or devices opening one long turn would read a 100 MB row some 25 times each. Readers
// of the same event that start together form a group: each slice is read once for the group and
// dropped once all of it has it, the first reader at most AHEAD slices ahead of the last, so the
// group holds a few slices between them. A reader that comes once a group is under way waits for it
// to end and goes with the next group, together with everyone else who came meanwhile. A member that
// stops reading for STALL_MS is left to go on alone, so it cannot hold the others up.

const SLICE = 4 * 1024 * 1024;
/** How far (in slices) the first of a group may run ahead of the last. */
const AHEAD = 2;
/** How long after it opens a group takes new members. */
const JOIN_MS = 2_000;
const STALL_MS = 10_000;

interface Member {
  /** Index of the next slice it will ask for. */
  next: number;
  at: number;
}

class Group {
  private readonly members = new Map<symbol, Member>();
  private readonly pieces = new Map<number, Promise<DataPiece | null>>();
  private waiting: Array<() => void> = [];
  private readonly opened = Date.now();
  private started = false;
  private done!: () => void;
  /** Resolves when the last member has left: readers who came too late start the next group together. */
  readonly finished = new Promise<void>((resolve) => {
    this.done = resolve;
  });

  constructor(
    private readonly store: Store,
    private readonly seq: number,
    private readonly onEmpty: () => void,
  ) {}

  /** Joins, while the group is young and has not gone past its first slice. */
  join(): symbol | null {
    if (this.started && Date.now() - this.opened > JOIN_MS) return null;
    const me = Symbol('member');
    this.members.set(me, { next: 0, at: Date.now() });
    return me;
  }

  /** Slice `i` (starting at `from`) for `me`; null when the event is gone. A member dropped reads alone. */
  async get(me: symbol, i: number, from: number): Promise<DataPiece | null> {
    const m = this.members.get(me);
    if (!m) return this.store.readEventData(this.seq, from, SLICE);
    if (i > 0) this.started = true;
    while (i - this.slowest() >= AHEAD && this.members.has(me)) {
      await new Promise<void>((go) => {
        const timer = setTimeout(go, 1_000);
        timer.unref();
        this.waiting.push(() => {
          clearTimeout(timer);
          go();
        });
      });
      this.dropStalled();
    }
    if (!this.members.has(me)) return this.store.readEventData(this.seq, from, SLICE);
    let p = this.pieces.get(i);
    if (!p) {
      p = this.store.readEventData(this.seq, from, SLICE);
      this.pieces.set(i, p);
      p.catch(() => this.pieces.delete(i));
    }
    m.next = i + 1;
    m.at = Date.now();
    this.collect();
    return p;
  }

  leave(me: symbol): void {
    if (!this.members.delete(me)) return;
    this.collect();
    this.endIfEmpty();
  }

  private slowest(): number {
    let low = Number.POSITIVE_INFINITY;
    for (const m of this.members.values()) low = Math.min(low, m.next);
    return low === Number.POSITIVE_INFINITY ? 0 : low;
  }

  private dropStalled(): void {
    const now = Date.now();
    const low = this.slowest();
    let dropped = false;
    for (const [k, m] of this.members)
      if (m.next === low && now - m.at > STALL_MS) dropped = this.members.delete(k);
    // Only a change wakes the others: waking them for nothing would have them wake each other forever.
    if (!dropped) return;
    this.collect();
    this.endIfEmpty();
  }

  private endIfEmpty(): void {
    if (this.members.size > 0) return;
    this.onEmpty();
    this.done();
  }

  /** Drops the slices every member has (while young, a late member may still need the first one). */
  private collect(): void {
    const low = this.slowest();
    const young = !this.started || Date.now() - this.opened <= JOIN_MS;
    for (const k of this.pieces.keys()) if (k < low && !(young && k === 0)) this.pieces.delete(k);
    const w = this.waiting;
    this.waiting = [];
    for (const go of w) go();
  }
}

const groups = new WeakMap<Store, Map<number, Group>>();

/**
 * The data of event `seq` after its first `skip` units (the `{` the envelope opened already), slice by
 * slice, read together with the other readers of the same event.
 */
export async function* largeEventData(
  store: Store,
  seq: number,
  skip: number,
): AsyncGenerator<Uint8Array | string> {
  let byStore = groups.get(store);
  if (!byStore) {
    byStore = new Map();
    groups.set(store, byStore);
  }
  let group = byStore.get(seq);
  let me = group?.join() ?? null;
  // A group under way: wait for it to end, then go with everyone else who waited (one read of each
  // slice for all of them, rather than one each), unless it takes too long.
  if (group && !me) {
    const waited = await Promise.race([
      group.finished.then(() => true),
      sleep(STALL_MS, undefined, { ref: false }).then(() => false),
    ]);
    group = byStore.get(seq);
    me = waited ? (group?.join() ?? null) : null;
  }
  if (!group || !me) {
    const fresh: Group = new Group(store, seq, () => {
      if (byStore.get(seq) === fresh) byStore.delete(seq);
    });
    if (!byStore.has(seq)) byStore.set(seq, fresh);
    group = fresh;
    me = fresh.join() as symbol;
  }
  try {
    let from = skip;
    for (let i = 0; ; i++) {
      const p = await group.get(me, i, from);
      if (!p) throw new Error(`event ${seq} is no longer in the log`);
      if (p.piece.length > 0) yield p.piece;
      if (p.done) return;
      from = p.next;
    }
  } finally {
    group.leave(me);
  }
}
