// The workspace routes of docs/CONTRACT.md section 9, typed for the panel. Every call goes through the
// app's Api (cookie, timeouts, ApiError with the server's code and sentence).

import type { FileDiff, FileView, StatusEntry, TerminalInfo, TreeEntry } from '../../../src/workspace/types.ts';
import type { Api } from '../net/api';

export type { FileDiff, FileView, StatusEntry, TerminalInfo, TreeEntry };

const enc = encodeURIComponent;

export type GitStatus =
  | { repository: false }
  | { repository: true; branch: string | null; head: string | null; files: StatusEntry[]; truncated: boolean };

export type GitDiff = { repository: false } | { repository: true; files: FileDiff[]; truncated: boolean };

export interface CheckpointSummary {
  sessionId: string;
  seq: number;
  created_at: number;
  files: Array<{ path: string; before: string | null; after: string | null; unsaved?: boolean }>;
  reverted: { seq: number; created_at: number } | null;
}

export interface TurnFileChange {
  path: string;
  change: 'created' | 'modified' | 'deleted';
  changedSince: boolean;
  binary: boolean;
  unsaved?: boolean;
  beforeText?: string;
  afterText?: string;
}

export class WorkspaceApi {
  constructor(
    private readonly api: Api,
    readonly conversationId: string,
  ) {}

  private conv(rest: string): string {
    return `api/conversations/${enc(this.conversationId)}/${rest}`;
  }

  tree(path: string) {
    return this.api.call<{ path: string; entries: TreeEntry[]; truncated: boolean }>('GET', this.conv(`tree?path=${enc(path)}`));
  }
  file(path: string) {
    return this.api.call<FileView>('GET', this.conv(`file?path=${enc(path)}`));
  }
  rawPath(path: string): string {
    return this.conv(`file/raw?path=${enc(path)}`);
  }
  gitStatus() {
    return this.api.call<GitStatus>('GET', this.conv('git/status'));
  }
  gitDiff(path: string) {
    return this.api.call<GitDiff>('GET', this.conv(`git/diff?path=${enc(path)}`));
  }
  checkpoints() {
    return this.api.call<{ checkpoints: CheckpointSummary[] }>('GET', this.conv('checkpoints'));
  }
  changes(sessionId: string) {
    return this.api.call<{ sessionId: string; files: TurnFileChange[] }>('GET', `api/sessions/${enc(sessionId)}/changes`);
  }
  revert(sessionId: string) {
    return this.api.call<{ files: Array<{ path: string; action: string }> }>('POST', `api/sessions/${enc(sessionId)}/revert`);
  }
  terminals() {
    return this.api.call<{ terminals: TerminalInfo[] }>('GET', this.conv('terminals'));
  }
  openTerminal(cols: number, rows: number) {
    return this.api.call<{ terminal: TerminalInfo }>('POST', this.conv('terminals'), { cols, rows });
  }
  closeTerminal(id: string) {
    return this.api.call<{ deleted: true }>('DELETE', this.conv(`terminals/${enc(id)}`));
  }
  terminalSocketPath(id: string): string {
    return this.conv(`terminals/${enc(id)}/socket`);
  }
}
