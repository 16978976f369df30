import { posix } from 'node:path';
import type { ChangeStatus, StatusEntry } from '../types.ts';

// `git status --porcelain=v2 -z` parsed (git-status(1), "Porcelain Format Version 2"): one entry per
// NUL-terminated record; a rename or copy carries its original path as the next record.

export interface StatusReport {
  branch: string | null;
  head: string | null;
  files: StatusEntry[];
}

const BY_LETTER: Record<string, ChangeStatus> = {
  D: 'deleted',
  A: 'added',
  R: 'renamed',
  C: 'copied',
  T: 'typechange',
  M: 'modified',
};

/** The most telling status of an XY pair: a deletion or an addition says more than a modification. */
function statusOf(xy: string): ChangeStatus {
  for (const letter of ['D', 'A', 'R', 'C', 'T', 'M']) if (xy.includes(letter)) return BY_LETTER[letter];
  return 'modified';
}

/** Fields before the path in each record type ("1": 8, "2": 9, "u": 10). */
const FIELDS_BEFORE_PATH: Record<string, number> = { '1': 8, '2': 9, u: 10 };

/**
 * Parses the porcelain output; `prefix` (git rev-parse --show-prefix, e.g. "app/") is the folder's
 * place in the repository, and every path comes back relative to the folder.
 */
export function parseStatus(out: string, prefix: string): StatusReport {
  const records = out.split('\0');
  const rel = (p: string) => posix.relative(prefix.replace(/\/$/, '') || '.', p) || '.';
  const report: StatusReport = { branch: null, head: null, files: [] };
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (!r) continue;
    if (r.startsWith('# branch.oid ')) {
      const oid = r.slice(13);
      report.head = oid === '(initial)' ? null : oid;
    } else if (r.startsWith('# branch.head ')) {
      const head = r.slice(14);
      report.branch = head === '(detached)' ? null : head;
    } else if (r.startsWith('? ')) {
      report.files.push({ path: rel(r.slice(2)), status: 'untracked', staged: false, unstaged: true });
    } else if (FIELDS_BEFORE_PATH[r[0]] !== undefined && r[1] === ' ') {
      const parts = r.split(' ');
      const path = parts.slice(FIELDS_BEFORE_PATH[r[0]]).join(' ');
      const xy = parts[1] ?? '..';
      const entry: StatusEntry = {
        path: rel(path),
        status: r[0] === 'u' ? 'conflicted' : statusOf(xy),
        staged: xy[0] !== '.',
        unstaged: xy[1] !== '.',
      };
      if (r[0] === '2') entry.oldPath = rel(records[++i] ?? '');
      report.files.push(entry);
    }
  }
  return report;
}
