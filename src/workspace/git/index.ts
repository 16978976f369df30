import { parseDiff } from './diff.ts';
import { gitComplaint, runGit } from './run.ts';
import { parseStatus } from './status.ts';

// The changes view of a conversation's folder (docs/CONTRACT.md section 9, "Changes"): its git status
// and its diff against HEAD, both limited to the folder, paths relative to it.

interface Repo {
  /** The folder's place in the repository ("" at its top, else "sub/dir/"). */
  prefix: string;
  /** What the working tree is compared with: HEAD, or the empty tree before the first commit. */
  base: string;
}

/** The repository the folder is in, or null when it is in none (below the roots). */
async function repoOf(folder: string, roots: string[]): Promise<Repo | null> {
  const where = await runGit(folder, roots, ['rev-parse', '--show-prefix']);
  if (where.code !== 0) {
    if (/not a git repository/i.test(where.stderr)) return null;
    throw gitComplaint(where);
  }
  const head = await runGit(folder, roots, ['rev-parse', '-q', '--verify', 'HEAD^{commit}']);
  let base = head.stdout.trim();
  if (head.code !== 0 || !base) {
    // No commit yet: everything is compared with the empty tree (its id depends on the hash function).
    const empty = await runGit(folder, roots, ['hash-object', '-t', 'tree', '/dev/null']);
    if (empty.code !== 0) throw gitComplaint(empty);
    base = empty.stdout.trim();
  }
  return { prefix: where.stdout.trim(), base };
}

export async function gitStatus(folder: string, roots: string[]) {
  const repo = await repoOf(folder, roots);
  if (!repo) return { repository: false as const };
  const out = await runGit(folder, roots, [
    'status',
    '--porcelain=v2',
    '-z',
    '--branch',
    '--untracked-files=normal',
    '--ignore-submodules=dirty',
    '--',
    '.',
  ]);
  if (out.code !== 0) throw gitComplaint(out);
  return { repository: true as const, ...parseStatus(out.stdout, repo.prefix), truncated: out.truncated };
}

/** The working tree against HEAD; `rel` (relative to the folder, '' for all) narrows it. */
export async function gitDiff(folder: string, roots: string[], rel: string) {
  const repo = await repoOf(folder, roots);
  if (!repo) return { repository: false as const };
  const out = await runGit(folder, roots, [
    'diff',
    repo.base,
    '--no-color',
    '--no-ext-diff',
    '--no-textconv',
    '--find-renames',
    '--relative',
    '-U3',
    '--',
    rel ? `:(literal)${rel}` : '.',
  ]);
  if (out.code !== 0) throw gitComplaint(out);
  const files = parseDiff(out.stdout);
  // A cut output ends in the middle of a file: that file is left out rather than shown half.
  if (out.truncated) files.pop();
  return { repository: true as const, files, truncated: out.truncated };
}
