// Highlighted source as HTML cut into lines: lib/highlight.ts marks tokens with flat
// `<span class="tok-…">` elements that may cover several lines (a block comment, a template string);
// each line must stand alone, so a span open at a line break is closed there and reopened on the next.

import { highlight } from '../lib/highlight';

const TAG = /<span class="(tok-[a-z]+)">|<\/span>|\n/g;

export function htmlLines(html: string): string[] {
  const lines: string[] = [];
  let open: string | null = null;
  let cur = '';
  let last = 0;
  TAG.lastIndex = 0;
  for (let m = TAG.exec(html); m; m = TAG.exec(html)) {
    cur += html.slice(last, m.index);
    last = m.index + m[0].length;
    if (m[0] === '\n') {
      lines.push(open ? `${cur}</span>` : cur);
      cur = open ? `<span class="${open}">` : '';
    } else if (m[1]) {
      open = m[1];
      cur += m[0];
    } else {
      open = null;
      cur += m[0];
    }
  }
  lines.push(cur + html.slice(last));
  return lines;
}

/** The language highlight() understands for a file name (its extension, or a known name). */
export function languageOf(name: string): string {
  const lower = name.toLowerCase();
  if (lower === 'dockerfile' || lower === 'makefile' || lower.endsWith('.sh') || lower.startsWith('.bash')) return 'sh';
  const dot = lower.lastIndexOf('.');
  return dot > 0 ? lower.slice(dot + 1) : '';
}

/** The file's text as highlighted HTML lines (every character of the text escaped). */
export function codeLines(text: string, name: string): string[] {
  return htmlLines(highlight(text, languageOf(name)));
}
