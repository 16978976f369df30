// A relative file path an agent mentions (`src/app.ts`, `src/app.ts:42`, `README.md#L7`), which the
// app opens in the workspace panel at the line. Pure, so both the Markdown renderer and the DOM pass
// (ui/markdown/file-links.ts) use it.

/** `path`, optionally `:line` or `#Lline`: no spaces, no scheme, not absolute. */
const PATH = /^(?!\/|[a-z][a-z0-9+.-]*:(?!\d))((?:[\w@.-]+\/)*[\w@.-]+\/?)(?::(\d+)(?::\d+)?|#L(\d+))?$/i;

/**
 * A name without a folder is a file only with a common source extension: inline code is full of
 * `store.get` and `e.target`, which must stay code.
 */
const FILE_EXT =
  /\.(md|mdx|txt|json|jsonc|ya?ml|toml|ini|cfg|env|lock|xml|html?|css|scss|less|[cm]?[jt]sx?|py|rb|rs|go|java|kt|swift|c|h|cc|cpp|hpp|cs|php|sh|bash|zsh|sql|vue|svelte|gradle|tf|proto|dockerfile)$/i;

export interface FileRef {
  path: string;
  line: number | null;
}

/** The file a piece of text names, or null. Parent references (`..`) are left alone: outside the folder. */
export function fileRef(text: string): FileRef | null {
  const m = PATH.exec(text.trim());
  if (!m) return null;
  const path = (m[1] as string).replace(/^\.\//, '').replace(/\/$/, '');
  if (!path || path.split('/').some((part) => part === '..' || part === '')) return null;
  if (!path.includes('/') && !FILE_EXT.test(path)) return null;
  const line = Number(m[2] ?? m[3]);
  return { path, line: Number.isInteger(line) && line > 0 ? line : null };
}

