import { folderInside } from '../../domain/paths.ts';
import { readInside } from '../confined-fs.ts';
import { resolveWorkspacePath } from '../folder.ts';
import { BlobStore } from './blobs.ts';
import type { CheckpointEventBody, CheckpointFile } from './schema.ts';

// One turn's checkpoint (docs/CONTRACT.md section 9, "Checkpoints"): the content of every file the turn
// touches, saved the first time the turn touches it — before an fs/write_text_file goes through, or
// when a tool call names the file (its `locations` or a `diff`). At the turn's end, the files that
// changed become one `checkpoint` event. Nothing here may fail the turn: a file that cannot be saved is
// marked `unsaved` (the turn then cannot be reverted) and everything else carries on.

/** Largest file a checkpoint saves. */
export const MAX_SNAPSHOT_BYTES = 16 * 1024 * 1024;

interface Saved {
  /** Hash of the content before the turn; null: it did not exist. */
  before: string | null;
  /** Set when the content could not be saved: what the file looked like, to tell whether it changed. */
  unsaved?: { size: number; mtimeMs: number } | null;
}

interface DiffItem {
  type?: unknown;
  path?: unknown;
  oldText?: unknown;
  newText?: unknown;
}

export class TurnCheckpoint {
  private readonly saved = new Map<string, Promise<Saved | null>>();
  /** Saves started by observe() and not finished: finish() waits for them (their path is not known yet). */
  private readonly observing = new Set<Promise<unknown>>();

  private constructor(
    private readonly blobs: BlobStore,
    /** Real path of the conversation's folder; null: outside the roots, nothing is recorded. */
    private readonly folder: Promise<string | null>,
  ) {}

  static open(dataDir: string, cwd: string, roots: string[]): TurnCheckpoint {
    const folder = folderInside(cwd, roots).catch(() => null);
    return new TurnCheckpoint(BlobStore.forDataDir(dataDir), folder);
  }

  /** Called before the agent's fs/write_text_file of `path` is carried out; resolves once it is saved. */
  async beforeWrite(path: string): Promise<void> {
    await this.save(path);
  }

  /** An output event of the turn: files named by a tool call are saved now (not awaited). */
  observe(e: { type: string; locations?: unknown; content?: unknown }): void {
    if (e.type !== 'tool_call' && e.type !== 'tool_update') return;
    // A file both located and diffed is saved once, with its diff (which may tell what it was before).
    const named = new Map<string, DiffItem | undefined>();
    for (const c of Array.isArray(e.content) ? (e.content as DiffItem[]) : []) {
      if (c?.type === 'diff' && typeof c.path === 'string') named.set(c.path, c);
    }
    for (const l of Array.isArray(e.locations) ? e.locations : []) {
      const path = (l as { path?: unknown } | null)?.path;
      if (typeof path === 'string' && !named.has(path)) named.set(path, undefined);
    }
    for (const [path, diff] of named) this.track(this.save(path, diff));
  }

  private track(p: Promise<unknown>): void {
    this.observing.add(p);
    void p.finally(() => this.observing.delete(p));
  }

  /** The turn's `checkpoint` event, or null when it changed no file. */
  async finish(): Promise<CheckpointEventBody | null> {
    const folder = await this.folder;
    if (!folder) return null;
    while (this.observing.size) await Promise.all([...this.observing]);
    const files: CheckpointFile[] = [];
    for (const [path, pending] of this.saved) {
      const s = await pending;
      if (!s) continue;
      if (s.unsaved !== undefined) {
        const info = await this.folderStat(folder, path);
        const same = s.unsaved === null ? info === null : info?.size === s.unsaved.size && info.mtimeMs === s.unsaved.mtimeMs;
        if (!same) files.push({ path, before: null, after: null, unsaved: true });
        continue;
      }
      const now = await this.currentHash(folder, path);
      if (now === undefined) files.push({ path, before: s.before, after: null, unsaved: true });
      else if (now !== s.before) files.push({ path, before: s.before, after: now });
    }
    files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return files.length ? { type: 'checkpoint', files } : null;
  }

  /** Saves the file at `given` once per turn; null when it is not a file of the folder. */
  private async save(given: string, diff?: DiffItem): Promise<Saved | null> {
    const folder = await this.folder;
    if (!folder) return null;
    let rel: string;
    try {
      const p = await resolveWorkspacePath(folder, given);
      if (p.stat && !p.stat.isFile()) return null;
      rel = p.rel;
    } catch {
      return null; // outside the folder, in .git, unusable: the agent cannot have written it either
    }
    let pending = this.saved.get(rel);
    if (!pending) {
      pending = this.take(folder, rel, diff);
      this.saved.set(rel, pending);
    }
    return pending;
  }

  private async take(folder: string, rel: string, diff?: DiffItem): Promise<Saved | null> {
    try {
      const content = await readInside(folder, rel, MAX_SNAPSHOT_BYTES);
      // A tool call reported after its edit: when the diff is the whole file now, its old text is
      // what the file was before (null: it did not exist).
      if (diff && typeof diff.newText === 'string' && content?.equals(Buffer.from(diff.newText))) {
        if (diff.oldText === null || diff.oldText === undefined) return { before: null };
        if (typeof diff.oldText === 'string') return { before: await this.blobs.put(Buffer.from(diff.oldText)) };
      }
      return { before: content ? await this.blobs.put(content) : null };
    } catch {
      const info = await this.folderStat(folder, rel);
      return { before: null, unsaved: info };
    }
  }

  private async folderStat(folder: string, rel: string) {
    try {
      const p = await resolveWorkspacePath(folder, rel);
      return p.stat ? { size: p.stat.size, mtimeMs: p.stat.mtimeMs } : null;
    } catch {
      return null;
    }
  }

  /** The file's content now, saved, as a hash (null: gone; undefined: unreadable). */
  private async currentHash(folder: string, rel: string): Promise<string | null | undefined> {
    try {
      const content = await readInside(folder, rel, MAX_SNAPSHOT_BYTES);
      return content ? await this.blobs.put(content) : null;
    } catch {
      return undefined;
    }
  }
}
