import { useEffect, useMemo, useRef } from 'preact/hooks';
import { copyText } from '../../lib/clipboard';
import { renderMarkdown } from '../../lib/markdown';
import { openFile } from '../../workspace/state';
import { fileRefOf, markFileRefs } from './file-links';
import './markdown.css';

interface Props {
  text: string;
  /** Text still growing: skip the cache (every version would be cached once otherwise). */
  streaming?: boolean;
  class?: string;
}

/**
 * Copy buttons and file references are plain HTML inside sanitized output, so one delegated handler
 * serves them all.
 */
function onClick(e: MouseEvent): void {
  const ref = fileRefOf(e.target);
  if (ref) {
    e.preventDefault();
    openFile(ref.path, ref.line);
    return;
  }
  const btn = (e.target as HTMLElement | null)?.closest?.('.copy-btn');
  if (!(btn instanceof HTMLButtonElement)) return;
  const code = btn.closest('.code-block')?.querySelector('pre');
  if (!code) return;
  void copyText(code.textContent ?? '').then((ok) => {
    btn.textContent = ok ? 'Copied' : 'Copy failed';
    setTimeout(() => {
      btn.textContent = 'Copy';
    }, 1500);
  });
}

/** A file reference is a button: Enter and Space open it too. */
function onKey(e: KeyboardEvent): void {
  if (e.key !== 'Enter' && e.key !== ' ') return;
  const ref = fileRefOf(e.target);
  if (!ref) return;
  e.preventDefault();
  openFile(ref.path, ref.line);
}

export function Markdown({ text, streaming = false, class: cls = '' }: Props) {
  const html = useMemo(() => renderMarkdown(text, !streaming), [text, streaming]);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    el?.addEventListener('click', onClick);
    el?.addEventListener('keydown', onKey);
    return () => {
      el?.removeEventListener('click', onClick);
      el?.removeEventListener('keydown', onKey);
    };
  }, []);
  useEffect(() => {
    if (ref.current && !streaming) markFileRefs(ref.current);
  }, [html, streaming]);
  // Safe: renderMarkdown escapes raw HTML and runs DOMPurify (lib/markdown.ts).
  return <div ref={ref} class={`md ${cls}`} dangerouslySetInnerHTML={{ __html: html }} />;
}
