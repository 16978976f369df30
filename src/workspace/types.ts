// The shapes the workspace routes answer with (docs/CONTRACT.md section 9), in one place with no Node
// imports, so the web client types its calls with them (type-only imports: nothing is bundled).

export interface TreeEntry {
  name: string;
  /** Relative to the conversation's folder, as reached (through a link that stays inside, if any). */
  path: string;
  type: 'dir' | 'file' | 'link' | 'other';
  size?: number;
  hidden: boolean;
  /** Reached through a symbolic link that stays inside. */
  link?: true;
}

export interface FileView {
  path: string;
  name: string;
  size: number;
  mtime: number;
  kind: 'text' | 'image' | 'binary';
  mime?: string;
  text?: string;
  truncated: boolean;
  hash?: string;
}

export type ChangeStatus =
  | 'modified'
  | 'added'
  | 'deleted'
  | 'renamed'
  | 'copied'
  | 'typechange'
  | 'untracked'
  | 'conflicted';

export interface StatusEntry {
  path: string;
  oldPath?: string;
  status: ChangeStatus;
  /** A change recorded in the index. */
  staged: boolean;
  /** A change of the working tree not in the index (always true for untracked files). */
  unstaged: boolean;
}

export interface DiffLine {
  op: 'add' | 'del' | 'same';
  text: string;
  oldNo?: number;
  newNo?: number;
}

export interface Hunk {
  header: string;
  oldStart: number;
  newStart: number;
  lines: DiffLine[];
}

export interface FileDiff {
  path: string;
  oldPath?: string;
  status: ChangeStatus;
  binary: boolean;
  hunks: Hunk[];
}

export interface TerminalInfo {
  id: string;
  conversationId: string;
  pid: number;
  shell: string;
  cwd: string;
  cols: number;
  rows: number;
  created_at: number;
  exit: { code: number; signal: number | null } | null;
}
