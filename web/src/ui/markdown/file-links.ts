// Paths an agent mentions in its answer open the file in the workspace panel at the line, like the
// paths in tool cards. Found after sanitizing (lib/markdown.ts), in the rendered DOM: inline code that
// reads as a relative file path (`src/app.ts`, `src/app.ts:42`, `README.md#L7`) and relative links
// (`[the parser](src/parse.ts#L10)`, made into file references by lib/markdown-core.ts).
import { type FileRef, fileRef } from '../../lib/file-ref';

/** Marks the file references inside `root` as buttons carrying their path and line. */
export function markFileRefs(root: HTMLElement): void {
  for (const code of root.querySelectorAll('code')) {
    if (code.closest('pre, a') || code.dataset.path) continue;
    const ref = fileRef(code.textContent ?? '');
    if (!ref) continue;
    code.classList.add('file-ref');
    code.dataset.path = ref.path;
    if (ref.line) code.dataset.line = String(ref.line);
    code.setAttribute('role', 'button');
    code.tabIndex = 0;
    code.title = `Open ${ref.path}${ref.line ? ` at line ${ref.line}` : ''}`;
  }
}

/** The reference an event's target is inside, if any. */
export function fileRefOf(target: EventTarget | null): FileRef | null {
  const el = (target as HTMLElement | null)?.closest?.('[data-path]');
  if (!(el instanceof HTMLElement) || !el.classList.contains('file-ref')) return null;
  const line = Number(el.dataset.line);
  return { path: el.dataset.path ?? '', line: Number.isInteger(line) && line > 0 ? line : null };
}
