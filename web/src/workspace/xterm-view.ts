// The terminal itself (docs/CONTRACT.md section 9, "Terminals"): xterm.js drawing what the shell sends
// over the terminal's WebSocket, and sending back keys and sizes. This module (and xterm.js with it)
// is loaded only when a terminal is opened, as its own chunk.

import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';

/**
 * xterm.js writes the CSS it computes (cell sizes, theme colours) into <style> elements, which the
 * page's Content-Security-Policy (style-src 'self', src/api/web-static.ts) refuses. So a <style> asked
 * for on this page becomes an inert <template> whose text goes into a constructed stylesheet
 * (document.adoptedStyleSheets), which the policy allows. Nothing else on the page creates <style>
 * elements (the policy would refuse them too), so nothing else is affected.
 */
function constructedStyles(): void {
  const doc = document;
  const create = doc.createElement.bind(doc) as (
    tag: string,
    options?: ElementCreationOptions,
  ) => HTMLElement;
  const patched = (tag: string, options?: ElementCreationOptions): HTMLElement => {
    if (String(tag).toLowerCase() !== 'style') return create(tag, options);
    const sheet = new CSSStyleSheet();
    doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
    const stand = create('template');
    let text = '';
    Object.defineProperty(stand, 'textContent', {
      get: () => text,
      set: (v: unknown) => {
        text = String(v ?? '');
        sheet.replaceSync(text);
      },
    });
    const remove = stand.remove.bind(stand);
    stand.remove = () => {
      doc.adoptedStyleSheets = doc.adoptedStyleSheets.filter((s) => s !== sheet);
      remove();
    };
    return stand;
  };
  doc.createElement = patched as typeof doc.createElement;
}
constructedStyles();

export interface TerminalHandle {
  /** Closes the socket and the view (the shell keeps running on the server). */
  dispose(): void;
  focus(): void;
}

interface Options {
  /** ws(s):// URL of the terminal's socket. */
  url: string;
  onState: (state: 'connecting' | 'open' | 'exited' | 'gone') => void;
}

/** Close codes after which reattaching cannot succeed (unknown terminal, malformed frame). */
const FINAL = new Set([4404, 4400]);

function createTerminal(el: HTMLElement, readOnly: boolean): { term: Terminal; fit: FitAddon } {
  const dark =
    matchMedia('(prefers-color-scheme: dark)').matches || document.documentElement.dataset.theme === 'dark';
  const term = new Terminal({
    cursorBlink: !readOnly,
    disableStdin: readOnly,
    // An agent's command output has bare newlines (no pty in between to add the carriage return).
    convertEol: readOnly,
    fontFamily: 'ui-monospace, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace',
    fontSize: 13,
    scrollback: 5000,
    theme: dark
      ? { background: '#15161b' }
      : { background: '#ffffff', foreground: '#1c1d21', cursor: '#1c1d21', selectionBackground: '#c7d2fe' },
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(el);
  return { term, fit };
}

function fitter(fit: FitAddon): () => void {
  return () => {
    try {
      fit.fit();
    } catch {
      // Not laid out yet (hidden): the next resize fits it.
    }
  };
}

export interface ReadOnlyTerminal {
  /** Shows `output` (the whole output so far): only what was not written yet is written. */
  show(output: string): void;
  dispose(): void;
}

/**
 * A command the agent runs, drawn like the user's own terminals but read-only: the agent owns the
 * process, gmgui only has what it printed (terminal_output events).
 */
export function mountReadOnlyTerminal(el: HTMLElement): ReadOnlyTerminal {
  const { term, fit } = createTerminal(el, true);
  const refit = fitter(fit);
  const observer = new ResizeObserver(() => refit());
  observer.observe(el);
  let shown = '';
  return {
    show(output) {
      if (output.startsWith(shown)) term.write(output.slice(shown.length));
      else {
        // The front was cut (bounded output): draw it again.
        term.reset();
        term.write(output);
      }
      shown = output;
    },
    dispose() {
      observer.disconnect();
      term.dispose();
    },
  };
}

export function mountTerminal(el: HTMLElement, opts: Options): TerminalHandle {
  const { term, fit } = createTerminal(el, false);
  let ws: WebSocket | null = null;
  let disposed = false;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const send = (frame: unknown) => {
    if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
  };
  const refit = fitter(fit);

  const connect = () => {
    opts.onState('connecting');
    const sock = new WebSocket(opts.url);
    sock.binaryType = 'arraybuffer';
    ws = sock;
    sock.onmessage = (m) => {
      if (typeof m.data !== 'string') {
        term.write(new Uint8Array(m.data as ArrayBuffer));
        return;
      }
      const frame = JSON.parse(m.data) as { op: string };
      if (frame.op === 'attached') {
        // The scrollback follows in full: start from a clean screen so nothing shows twice.
        term.reset();
        attempt = 0;
        opts.onState('open');
        refit();
        send({ op: 'resize', cols: term.cols, rows: term.rows });
      } else if (frame.op === 'exit') opts.onState('exited');
    };
    sock.onclose = (e) => {
      if (disposed || ws !== sock) return;
      if (FINAL.has(e.code)) {
        opts.onState('gone');
        return;
      }
      // A reload, a network drop, a server restart: reattach with backoff (the scrollback comes again).
      attempt++;
      timer = setTimeout(connect, Math.min(10_000, 300 * 2 ** Math.min(attempt, 6)));
    };
  };

  term.onData((data) => send({ op: 'input', data }));
  term.onResize(({ cols, rows }) => send({ op: 'resize', cols, rows }));
  const observer = new ResizeObserver(() => refit());
  observer.observe(el);
  connect();

  return {
    dispose() {
      disposed = true;
      if (timer) clearTimeout(timer);
      observer.disconnect();
      ws?.close();
      term.dispose();
    },
    focus: () => term.focus(),
  };
}
