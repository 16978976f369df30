import { isAbsolute, join, relative } from 'node:path';
import { errors } from '../domain/errors.ts';
import { folderInside, pathError, type Resolved, resolveInside } from '../domain/paths.ts';
import type { Store } from '../store/types.ts';
import { workspaceErrors } from './errors.ts';

// Where a workspace request may look (docs/CONTRACT.md section 9, "Paths"): the conversation's folder,
// itself inside GMGUI_ROOTS, and nothing it leads out of. The walk is src/domain/paths.ts's, the one the
// agents' own file access uses, so the UI can see exactly what the agent may touch and nothing more.

/** Longest workspace path a client may name. */
export const MAX_PATH_CHARS = 4096;

/** The real path of a conversation's folder: 404 unknown conversation, 403 outside the roots, 404 gone. */
export async function conversationFolder(store: Store, roots: string[], conversationId: string): Promise<string> {
  const c = await store.getConversation(conversationId);
  if (!c) throw errors.notFound('Conversation');
  return folderInside(c.cwd, roots, 'not_found');
}

export interface WorkspacePath extends Resolved {
  /** The real path relative to the folder, `/`-separated; '' for the folder itself. */
  rel: string;
}

/** True when a relative path goes into (or is) a `.git` folder. */
export function inGitDir(rel: string): boolean {
  return rel.split('/').includes('.git');
}

/**
 * Follows `given` (relative to `folder`, or absolute inside it) as the agents' file access would.
 * 403 when it, or a link on its way, leads out (dangling or not) or into a .git folder; a path that
 * cannot be followed is the 4xx of src/domain/paths.ts. A missing path is returned with `stat: null`.
 */
export async function resolveWorkspacePath(folder: string, given: string): Promise<WorkspacePath> {
  if (given.length > MAX_PATH_CHARS || given.includes('\0'))
    throw errors.invalidRequest(`A path is at most ${MAX_PATH_CHARS} characters, without NUL bytes.`);
  const abs = isAbsolute(given) ? given : join(folder, given);
  let r: Resolved | null;
  try {
    r = await resolveInside(abs, [folder]);
  } catch (err) {
    throw pathError(err, 'That path');
  }
  if (!r) throw workspaceErrors.outsideFolder(given || '.');
  const rel = relative(folder, r.real).split('\\').join('/');
  if (inGitDir(rel)) throw workspaceErrors.gitInside();
  return { ...r, rel };
}

/** Like resolveWorkspacePath, and the path must exist: 404 otherwise. */
export async function existingWorkspacePath(folder: string, given: string): Promise<WorkspacePath & { stat: NonNullable<Resolved['stat']> }> {
  const p = await resolveWorkspacePath(folder, given);
  if (!p.stat) throw errors.notFound('That path');
  return p as WorkspacePath & { stat: NonNullable<Resolved['stat']> };
}
