import { recordImport } from '../commands/record.ts';
import { errors } from '../domain/errors.ts';
import { folderInside } from '../domain/paths.ts';
import type { Conversation } from '../domain/types.ts';
import type { Store } from '../store/types.ts';
import { eventPages } from './export.ts';
import { contentLine, LineHash } from './format.ts';
import type { ImportPlan } from './read-file.ts';

// Recreates a verified export (read-file.ts) in one store transaction, with the same ids, order and
// times: all of it or nothing. Importing the same file again finds the conversation and changes nothing;
// a conversation of that id whose log differs is a conflict, never overwritten.

export interface ImportResult {
  /** 201: created now; 200: it was already here, equal event for event. */
  status: 200 | 201;
  conversation: Conversation;
}

/** The digest of a conversation's live log, as read-file.ts computes it for a file. */
async function liveDigest(store: Store, id: string): Promise<string> {
  const content = new LineHash();
  for await (const page of eventPages(store, id, Number.MAX_SAFE_INTEGER)) {
    for (const e of page.events) content.add(contentLine(e));
  }
  return content.hex();
}

export async function importConversation(
  store: Store,
  plan: ImportPlan,
  roots: string[],
): Promise<ImportResult> {
  const id = plan.conversation.id;
  // Agents work in the conversation's folder: an imported one must lie inside this server's roots, as
  // a created one must (POST /api/conversations).
  await folderInside(plan.conversation.cwd, roots);
  const created = await store.transaction(async (tx) => {
    if (await tx.getConversation(id)) return false;
    for (const m of plan.messages)
      if (await tx.getMessage(m.id))
        throw errors.importConflict(`Message ${m.id} already exists in another conversation.`);
    for (const s of plan.sessions)
      if (await tx.getSession(s.id))
        throw errors.importConflict(`Session ${s.id} already exists in another conversation.`);
    // A record under the conversation id makes two imports racing on PostgreSQL collide on its key: the
    // store re-runs the loser, which then finds the conversation (store/types.ts putIdempotency).
    await tx.deleteIdempotency('import', id);
    await tx.putIdempotency({
      scope: 'import',
      key: id,
      fingerprint: plan.digest,
      status: 201,
      body: '{}',
      created_at: tx.now,
    });
    await recordImport(tx, plan);
    return true;
  });
  if (!created && (await liveDigest(store, id)) !== plan.digest)
    throw errors.importConflict(
      `Conversation ${id} already exists here with a different history; delete it first to import this file.`,
    );
  const conversation = await store.getConversation(id);
  if (!conversation) throw errors.importConflict(`Conversation ${id} was deleted while it was imported.`);
  return { status: created ? 201 : 200, conversation };
}
