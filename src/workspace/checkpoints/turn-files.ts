import { errors } from '../../domain/errors.ts';
import type { NewAppEvent } from '../../domain/events.ts';
import { errnoOf, pathError } from '../../domain/paths.ts';
import type { Session } from '../../domain/types.ts';
import type { Store } from '../../store/types.ts';
import { ConfinedError, readInside, removeInside, writeInside } from '../confined-fs.ts';
import { workspaceErrors } from '../errors.ts';
import { looksLikeText } from '../file-kind.ts';
import { MAX_TEXT_BYTES } from '../files.ts';
import { conversationFolder } from '../folder.ts';
import { type BlobStore, sha256 } from './blobs.ts';
import { type TurnCheckpointRecord, turnCheckpoint } from './log.ts';
import { MAX_SNAPSHOT_BYTES } from './recorder.ts';
import type { RevertAction } from './schema.ts';

// What a turn changed, and putting it back (docs/CONTRACT.md section 9, "Checkpoints"). The checkpoint
// event says which files the turn changed and their hashes before and after; the saved contents are in
// the BlobStore; the files now are read through the same confinement as every workspace read.

export interface CheckpointDeps {
  store: Store;
  roots: string[];
  blobs: BlobStore;
}

/** SHA-256 of the file now: null when it does not exist, undefined when it is not a readable file. */
async function hashNow(folder: string, rel: string): Promise<string | null | undefined> {
  try {
    const content = await readInside(folder, rel, MAX_SNAPSHOT_BYTES);
    return content ? sha256(content) : null;
  } catch {
    return undefined;
  }
}

async function load(deps: CheckpointDeps, sessionId: string): Promise<{ session: Session; folder: string; cp: TurnCheckpointRecord }> {
  const session = await deps.store.getSession(sessionId);
  if (!session) throw errors.notFound('Session');
  const folder = await conversationFolder(deps.store, deps.roots, session.conversationId);
  const cp = await turnCheckpoint(deps.store, sessionId);
  if (!cp) throw workspaceErrors.nothingToRevert();
  return { session, folder, cp };
}

/** Text of saved content for the diff view, or undefined when it is binary or too long to show. */
function shown(content: Buffer | null): string | undefined {
  if (!content || content.length > MAX_TEXT_BYTES || !looksLikeText(content)) return undefined;
  return content.toString('utf8');
}

/** The diff of a turn: each file before the turn and at its end, and whether it changed since. */
export async function turnChanges(deps: CheckpointDeps, sessionId: string) {
  const { folder, cp } = await load(deps, sessionId);
  const files = [];
  for (const f of cp.files) {
    const before = f.before ? await deps.blobs.get(f.before) : null;
    const after = f.after ? await deps.blobs.get(f.after) : null;
    const current = await hashNow(folder, f.path);
    const change = f.before === null && f.after !== null ? 'created' : f.after === null && f.before !== null ? 'deleted' : 'modified';
    const beforeText = shown(before);
    const afterText = shown(after);
    files.push({
      path: f.path,
      change,
      before: f.before,
      after: f.after,
      current: current ?? null,
      changedSince: current !== f.after,
      binary: (!!before && beforeText === undefined) || (!!after && afterText === undefined),
      ...(f.unsaved ? { unsaved: true } : {}),
      ...(beforeText !== undefined ? { beforeText } : {}),
      ...(afterText !== undefined ? { afterText } : {}),
    });
  }
  return { sessionId, files, reverted: cp.reverted };
}

/** Reverts of one conversation run one at a time (in this process). */
const queues = new Map<string, Promise<unknown>>();

function oneAtATime<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = queues.get(key) ?? Promise.resolve();
  const run = prev.then(fn, fn);
  const tail = run.catch(() => undefined);
  queues.set(key, tail);
  void tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key);
  });
  return run;
}

/** Puts every file of the turn back as it was before it, or refuses without changing anything. */
export async function revertTurn(deps: CheckpointDeps, sessionId: string) {
  const session = await deps.store.getSession(sessionId);
  if (!session) throw errors.notFound('Session');
  return oneAtATime(session.conversationId, async () => {
    const { folder, cp } = await load(deps, sessionId);
    if (cp.reverted) throw workspaceErrors.alreadyReverted();
    const busy = await deps.store.listSessions(session.conversationId);
    if (busy.some((s) => s.status === 'pending' || s.status === 'processing')) throw workspaceErrors.turnRunning();
    const unsaved = cp.files.filter((f) => f.unsaved).map((f) => f.path);
    if (unsaved.length) throw workspaceErrors.snapshotMissing(unsaved);

    const plan: Array<{ path: string; action: RevertAction; content: Buffer | null }> = [];
    const changed: string[] = [];
    const missing: string[] = [];
    for (const f of cp.files) {
      const now = await hashNow(folder, f.path);
      if (now === f.before) plan.push({ path: f.path, action: 'unchanged', content: null });
      else if (now !== f.after) changed.push(f.path);
      else if (f.before === null) plan.push({ path: f.path, action: 'removed', content: null });
      else {
        const content = await deps.blobs.get(f.before);
        if (content) plan.push({ path: f.path, action: 'restored', content });
        else missing.push(f.path);
      }
    }
    if (changed.length) throw workspaceErrors.changedSince(changed);
    if (missing.length) throw workspaceErrors.snapshotMissing(missing);

    for (const step of plan) {
      try {
        if (step.action === 'removed') await removeInside(folder, step.path);
        else if (step.action === 'restored' && step.content) await writeInside(folder, step.path, step.content);
      } catch (err) {
        if (err instanceof ConfinedError) throw workspaceErrors.changedSince([step.path]);
        throw errnoOf(err) ? pathError(err, step.path) : err;
      }
    }
    const files = plan.map(({ path, action }) => ({ path, action }));
    const event: NewAppEvent = { type: 'checkpoint_reverted', conversationId: session.conversationId, sessionId, files };
    await deps.store.transaction((tx) => tx.append(event));
    return { sessionId, files };
  });
}
