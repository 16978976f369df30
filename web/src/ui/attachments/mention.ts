// `@` in the composer names a file of the conversation's folder to attach (CONTRACT section 11,
// `{type:"file", path}` relative to the folder). What is being typed after the `@` is a path: the
// part up to its last `/` is the folder to list (GET …/tree, one level), the rest filters its
// entries. Pure, so it is unit-tested.

export interface MentionQuery {
  /** Index of the `@`. */
  start: number;
  /** Index just after what is typed (the caret). */
  end: number;
  /** The folder to list, relative to the conversation's folder ('' for the folder itself). */
  dir: string;
  /** What the entry's name should start with (or contain), lower-case. */
  prefix: string;
}

/** The entries of one level of the folder, as GET …/tree answers (fields used here). */
export interface FolderEntry {
  name: string;
  path: string;
  type: string;
  size?: number;
  hidden: boolean;
}

const MAX = 8;

/** The mention the caret is in (`see @src/ma|`), or null when it is in none. */
export function mentionAt(text: string, caret: number): MentionQuery | null {
  let start = caret;
  while (start > 0 && !/\s/.test(text[start - 1] as string)) start--;
  if (text[start] !== '@') return null;
  const typed = text.slice(start + 1, caret);
  // An email address or a second @ is not a mention.
  if (typed.includes('@')) return null;
  const slash = typed.lastIndexOf('/');
  return {
    start,
    end: caret,
    dir: slash >= 0 ? typed.slice(0, slash) : '',
    prefix: typed.slice(slash + 1).toLowerCase(),
  };
}

/** Folders and files whose name starts with the prefix, then those that contain it; dot-names only when asked for. */
export function matchEntries(entries: readonly FolderEntry[], prefix: string): FolderEntry[] {
  const starts: FolderEntry[] = [];
  const contains: FolderEntry[] = [];
  for (const e of entries) {
    // A link that leads out, a FIFO or a device cannot be attached (the server would refuse it).
    if (e.type !== 'dir' && e.type !== 'file') continue;
    if (e.hidden && !prefix.startsWith('.')) continue;
    const name = e.name.toLowerCase();
    if (name.startsWith(prefix)) starts.push(e);
    else if (prefix && name.includes(prefix)) contains.push(e);
  }
  return [...starts, ...contains].slice(0, MAX);
}

/** The text with the mention replaced by `@<path>` (a folder keeps its trailing `/` to go on typing). */
export function takeEntry(text: string, q: MentionQuery, e: FolderEntry): { text: string; caret: number } {
  const after = text.slice(q.end);
  // A file ends the mention with a space, unless one follows already.
  const insert = e.type === 'dir' ? `@${e.path}/` : /^\s/.test(after) ? `@${e.path}` : `@${e.path} `;
  return { text: text.slice(0, q.start) + insert + after, caret: q.start + insert.length };
}
