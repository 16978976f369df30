import { useEffect, useMemo, useRef } from 'preact/hooks';
import { copyText } from '../../lib/clipboard';
import { renderMarkdown } from '../../lib/markdown';
import './markdown.css';

interface Props {
  text: string;
  /** Text still growing: skip the cache (every version would be cached once otherwise). */
  streaming?: boolean;
  class?: string;
}

/** Copy buttons are plain HTML inside sanitized output, so one delegated handler serves them all. */
function onClick(e: MouseEvent): void {
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

export function Markdown({ text, streaming = false, class: cls = '' }: Props) {
  const html = useMemo(() => renderMarkdown(text, !streaming), [text, streaming]);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    el?.addEventListener('click', onClick);
    return () => el?.removeEventListener('click', onClick);
  }, []);
  // Safe: renderMarkdown escapes raw HTML and runs DOMPurify (lib/markdown.ts).
  return <div ref={ref} class={`md ${cls}`} dangerouslySetInnerHTML={{ __html: html }} />;
}
