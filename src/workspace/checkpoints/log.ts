import type { StoredEvent } from '../../domain/types.ts';
import type { EventQuery, Store } from '../../store/types.ts';
import {
  type CheckpointFile,
  CheckpointEventSchema,
  CheckpointRevertedEventSchema,
  type CheckpointRevertedEventBody,
} from './schema.ts';

// Checkpoints as the log records them: the truth is the `checkpoint` and `checkpoint_reverted` events
// (docs/CONTRACT.md section 9); nothing else keeps them.

const PAGE = 2000;

export interface TurnCheckpointRecord {
  sessionId: string;
  seq: number;
  created_at: number;
  files: CheckpointFile[];
  reverted: { seq: number; created_at: number; files: CheckpointRevertedEventBody['files'] } | null;
}

/** Every event of a query, page by page, handed to `visit`. */
async function scan(store: Store, q: Omit<EventQuery, 'after' | 'limit'>, visit: (e: StoredEvent) => void) {
  let after = 0;
  for (;;) {
    const page = await store.readEvents({ ...q, after, limit: PAGE });
    for (const e of page) visit(e);
    if (page.length < PAGE) return;
    after = page[page.length - 1].seq;
  }
}

function collect(events: Map<string, TurnCheckpointRecord>, e: StoredEvent): void {
  if (!e.sessionId) return;
  if (e.type === 'checkpoint') {
    const r = CheckpointEventSchema.safeParse(e);
    if (r.success) {
      events.set(e.sessionId, { sessionId: e.sessionId, seq: e.seq, created_at: e.created_at, files: r.data.files, reverted: null });
    }
  } else if (e.type === 'checkpoint_reverted') {
    const r = CheckpointRevertedEventSchema.safeParse(e);
    const cp = events.get(e.sessionId);
    if (r.success && cp) cp.reverted = { seq: e.seq, created_at: e.created_at, files: r.data.files };
  }
}

/** The checkpoint of one turn (with its revert, if any), or null when it recorded none. */
export async function turnCheckpoint(store: Store, sessionId: string): Promise<TurnCheckpointRecord | null> {
  const found = new Map<string, TurnCheckpointRecord>();
  await scan(store, { sessionId }, (e) => collect(found, e));
  return found.get(sessionId) ?? null;
}

/** Every checkpoint of a conversation, newest first. */
export async function conversationCheckpoints(store: Store, conversationId: string): Promise<TurnCheckpointRecord[]> {
  const found = new Map<string, TurnCheckpointRecord>();
  await scan(store, { conversationId }, (e) => collect(found, e));
  return [...found.values()].sort((a, b) => b.seq - a.seq);
}
