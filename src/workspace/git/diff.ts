import type { FileDiff, Hunk } from '../types.ts';

// `git diff` output (unified format, with git's extended headers) parsed into files, hunks and lines,
// the shape the web's diff view draws. Paths may be C-quoted by git when they hold unusual characters.

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', '"': '"', '\\': '\\', a: '\x07', b: '\b', f: '\f', r: '\r', v: '\v' };

/** A path as git wrote it: plain, or "C-quoted" with escapes and octal bytes (UTF-8). */
export function unquote(s: string): string {
  if (!s.startsWith('"')) return s;
  const bytes: number[] = [];
  for (let i = 1; i < s.length; i++) {
    const c = s[i];
    if (c === '"') break;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const n = s[++i];
    if (/[0-7]/.test(n)) {
      bytes.push(Number.parseInt(s.slice(i, i + 3), 8));
      i += 2;
    } else bytes.push((ESCAPES[n] ?? n).charCodeAt(0));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** `a/x` or `b/x` (possibly quoted) without its prefix; null for /dev/null. */
function side(s: string): string | null {
  const p = unquote(s.trim());
  if (p === '/dev/null') return null;
  return p.replace(/^[ab]\//, '');
}

/** The two paths of `diff --git a/P b/P` when nothing else names them (a binary or mode-only change). */
function pathsOfHeader(rest: string): string {
  if (rest.startsWith('"')) {
    const end = rest.indexOf('" ', 1);
    return side(end > 0 ? rest.slice(0, end + 1) : rest) ?? '';
  }
  const half = (rest.length - 1) / 2;
  return rest.slice(2, Math.floor(half));
}

const HUNK = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@(.*)$/;

export function parseDiff(out: string): FileDiff[] {
  const files: FileDiff[] = [];
  let file: FileDiff | null = null;
  let hunk: Hunk | null = null;
  let oldNo = 0;
  let newNo = 0;
  for (const line of out.split('\n')) {
    if (line.startsWith('diff --git ')) {
      file = { path: pathsOfHeader(line.slice(11)), status: 'modified', binary: false, hunks: [] };
      files.push(file);
      hunk = null;
      continue;
    }
    if (!file) continue;
    const m = hunk === null || line.startsWith('@@') ? HUNK.exec(line) : null;
    if (m) {
      oldNo = Number(m[1]);
      newNo = Number(m[2]);
      hunk = { header: line, oldStart: oldNo, newStart: newNo, lines: [] };
      file.hunks.push(hunk);
      continue;
    }
    if (hunk) {
      if (line.startsWith('+')) hunk.lines.push({ op: 'add', text: line.slice(1), newNo: newNo++ });
      else if (line.startsWith('-')) hunk.lines.push({ op: 'del', text: line.slice(1), oldNo: oldNo++ });
      else if (line.startsWith(' ')) hunk.lines.push({ op: 'same', text: line.slice(1), oldNo: oldNo++, newNo: newNo++ });
      // "\ No newline at end of file" and the empty last line carry no content.
      continue;
    }
    if (line.startsWith('new file mode')) file.status = 'added';
    else if (line.startsWith('deleted file mode')) file.status = 'deleted';
    else if (line.startsWith('rename from ')) {
      file.status = 'renamed';
      file.oldPath = unquote(line.slice(12));
    } else if (line.startsWith('rename to ')) file.path = unquote(line.slice(10));
    else if (line.startsWith('copy from ')) {
      file.status = 'copied';
      file.oldPath = unquote(line.slice(10));
    } else if (line.startsWith('copy to ')) file.path = unquote(line.slice(8));
    else if (line.startsWith('Binary files ')) file.binary = true;
    else if (line.startsWith('--- ')) {
      const p = side(line.slice(4));
      if (p !== null && file.status !== 'renamed' && file.status !== 'copied') file.path = p;
    } else if (line.startsWith('+++ ')) {
      const p = side(line.slice(4));
      if (p !== null) file.path = p;
    }
  }
  return files;
}
