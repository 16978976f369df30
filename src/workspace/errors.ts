import { AppError } from '../domain/errors.ts';

// The workspace's own refusals (docs/CONTRACT.md section 9 and its error code table). Written as
// literals so test/api/contract-codes.test.ts finds them; the sentences name what to do.

export const workspaceErrors = {
  outsideFolder: (path: string) =>
    new AppError(
      403,
      'outside_folder',
      `${path} is outside the conversation's folder (symbolic links that lead out of it are refused too).`,
    ),
  gitInside: () =>
    new AppError(403, 'forbidden', 'gmgui does not show the inside of .git folders (they may hold credentials).'),
  notAFile: (what: string, why = 'is not a regular file') => new AppError(400, 'not_a_file', `${what} ${why}.`),
  fileTooLarge: (size: number, max: number) =>
    new AppError(413, 'file_too_large', `The file has ${size} bytes; this view serves at most ${max}.`),
  gitFailed: (detail: string) => new AppError(422, 'git_failed', `git could not read this folder: ${detail}`),
  gitUnavailable: (detail: string) =>
    new AppError(503, 'git_unavailable', `git is not usable on the server (${detail}).`),
  nothingToRevert: () =>
    new AppError(409, 'nothing_to_revert', 'This turn changed no files, so there is nothing to revert.'),
  turnRunning: () =>
    new AppError(
      409,
      'turn_running',
      'A turn of this conversation is still running or waiting: stop it or let it finish before reverting.',
    ),
  alreadyReverted: () => new AppError(409, 'already_reverted', 'This turn was already reverted.'),
  changedSince: (paths: string[]) =>
    new AppError(
      409,
      'changed_since',
      `Not reverted: ${listed(paths)} changed after this turn, and reverting would lose those changes. Revert the later turns first, or undo those changes by hand.`,
    ),
  snapshotMissing: (paths: string[]) =>
    new AppError(
      409,
      'snapshot_missing',
      `Not reverted: the saved content of ${listed(paths)} is not in this server's data directory.`,
    ),
  tooManyTerminals: (max: number, scope: string) =>
    new AppError(
      429,
      'too_many_terminals',
      `${scope} already has ${max} terminals open, the most it may; close one first.`,
    ),
  terminalUnavailable: (detail: string) =>
    new AppError(503, 'terminal_unavailable', `Terminals cannot run on this server: ${detail}`),
};

/** "a.txt", "a.txt and b.txt", "a.txt, b.txt and 3 more". */
export function listed(paths: string[]): string {
  const shown = paths.slice(0, 3);
  const more = paths.length - shown.length;
  if (more > 0) return `${shown.join(', ')} and ${more} more`;
  if (shown.length <= 1) return shown[0] ?? 'no file';
  return `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
}
