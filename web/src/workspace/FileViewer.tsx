import { useEffect, useMemo, useRef } from 'preact/hooks';
import { apiUrl } from '../net/base';
import { Icon } from '../ui/Icon';
import type { FileView, WorkspaceApi } from './api';
import { codeLines } from './code-lines';
import { type OpenFile, syncHash, workspace } from './state';
import { useLoad } from './use-load';

// One file of the conversation's folder (docs/CONTRACT.md section 9, "Files"): text highlighted with
// line numbers and opened at a line, an image shown, a binary described. It loads again whenever
// `liveKey` changes (a tool call of the agent named this file and moved on: it may have changed it).

/** Line height of the code view in pixels; the CSS uses the same number (panel.css, --ws-lh). */
const LINE_PX = 18;

interface Props {
  ws: WorkspaceApi;
  base: URL;
  file: OpenFile;
  nonce: number;
  liveKey: string;
  onLoaded: (f: FileView) => void;
  onClose: () => void;
}

function Code({ data, line }: { data: FileView; line: number | null }) {
  const lines = useMemo(() => codeLines(data.text ?? '', data.name), [data]);
  const scroller = useRef<HTMLElement>(null);
  useEffect(() => {
    const el = scroller.current;
    if (el && line) el.scrollTop = Math.max(0, (line - 1) * LINE_PX - el.clientHeight / 3);
  }, [line, data]);
  const pick = (e: MouseEvent) => {
    const n = Math.floor(e.offsetY / LINE_PX) + 1;
    const f = workspace.get().file;
    if (f && n >= 1 && n <= lines.length) {
      workspace.set({ file: { ...f, line: n } });
      syncHash();
    }
  };
  const numbers = useMemo(() => lines.map((_, i) => i + 1).join('\n'), [lines]);
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard to scroll it
    <section class="ws-code-wrap" ref={scroller} tabIndex={0} aria-label={`Contents of ${data.path}`}>
      {/* Line numbers: click one to mark it (and put it in the address). */}
      <pre class="ws-gutter" aria-hidden="true" onClick={pick}>
        {numbers}
      </pre>
      <pre class="ws-code">
        {/* Every character of the text is escaped by lib/highlight.ts before it becomes HTML. */}
        <code dangerouslySetInnerHTML={{ __html: lines.join('\n') }} />
      </pre>
      {line && line <= lines.length ? (
        <div class="ws-line-mark" data-line={line} style={{ top: `${(line - 1) * LINE_PX}px` }} />
      ) : null}
    </section>
  );
}

function size(n: number): string {
  return n < 1024 ? `${n} bytes` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function FileViewer({ ws, base, file, nonce, liveKey, onLoaded, onClose }: Props) {
  const { data, error, loading, reload } = useLoad(() => ws.file(file.path), [ws, file.path, nonce, liveKey]);
  useEffect(() => {
    if (data) onLoaded(data);
  }, [data, onLoaded]);
  return (
    <section class="ws-viewer" aria-label="File">
      <header class="ws-viewer-head">
        <button type="button" class="icon-btn small ws-back" onClick={onClose} aria-label="Back to the file list">
          <Icon name="up" />
        </button>
        <span class="ws-viewer-path" title={data?.path ?? file.path}>
          {data?.path ?? file.path}
        </span>
        {data ? <span class="muted ws-viewer-size">{size(data.size)}</span> : null}
        {loading ? <span class="spinner" aria-hidden="true" /> : null}
        <button type="button" class="btn small" onClick={reload}>
          Reload
        </button>
      </header>
      {error ? (
        <p class="ws-error" role="alert">
          {error}
        </p>
      ) : null}
      {data?.truncated ? (
        <p class="ws-note muted">Only the first 2 MB of this file are shown.</p>
      ) : null}
      {data?.kind === 'text' ? <Code data={data} line={file.line} /> : null}
      {data?.kind === 'image' ? (
        <div class="ws-image">
          <img src={`${apiUrl(base, ws.rawPath(data.path))}&v=${data.mtime}`} alt={data.name} />
        </div>
      ) : null}
      {data?.kind === 'binary' ? <p class="ws-note muted">A binary file ({size(data.size)}): not shown.</p> : null}
    </section>
  );
}
