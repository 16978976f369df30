// Markdown to HTML for agent output, before sanitizing (markdown.ts adds DOMPurify).
//
// Agent text is untrusted. Two layers keep it inert:
// 1. Here, raw HTML in the Markdown is escaped, so `<img onerror=…>` or `<script>` is shown as
//    the text the agent wrote (that is what a coding agent means by it), links are limited to
//    safe schemes and images become links (no remote loads from agent output).
// 2. markdown.ts runs DOMPurify over the result anyway.

import { Marked, type Tokens } from 'marked';
import { fileRef } from './file-ref';
import { escapeHtml, highlight } from './highlight';

const SAFE_SCHEMES = /^(https?:|mailto:)/i;

/** The href if it is an http(s)/mailto link or a fragment, otherwise null. */
export function safeHref(href: string | null | undefined): string | null {
  if (!href) return null;
  const h = href.trim();
  if (h.startsWith('#')) return h;
  // Drop control characters and whitespace, which browsers ignore inside schemes ("java\tscript:").
  let probe = '';
  for (const ch of h) {
    const code = ch.charCodeAt(0);
    if (code > 0x20 && code !== 0x7f) probe += ch;
  }
  return SAFE_SCHEMES.test(probe) ? h : null;
}

/**
 * A relative link to a file of the folder (`[the parser](src/parse.ts#L10)`) becomes a button-like
 * link the app opens in its workspace panel (ui/markdown/file-links.ts); any other unsafe link is
 * its text alone.
 */
function fileLink(href: string, text: string): string {
  let decoded = href;
  try {
    decoded = decodeURIComponent(href);
  } catch {
    // Not percent-encoded after all: the raw href is the path.
  }
  const ref = fileRef(decoded);
  if (!ref) return text;
  const line = ref.line ? ` data-line="${ref.line}"` : '';
  return `<a href="#" class="file-ref" data-path="${escapeHtml(ref.path)}"${line}>${text}</a>`;
}

function langOf(info: string | undefined): string {
  return (info ?? '').trim().split(/\s+/)[0] ?? '';
}

const marked = new Marked({ gfm: true, breaks: false, async: false });

marked.use({
  renderer: {
    html({ text }: Tokens.HTML | Tokens.Tag): string {
      return escapeHtml(text);
    },
    code({ text, lang }: Tokens.Code): string {
      const l = langOf(lang);
      const label = l ? `<span class="code-lang">${escapeHtml(l)}</span>` : '<span></span>';
      return (
        `<div class="code-block"><div class="code-head">${label}` +
        `<button type="button" class="copy-btn" aria-label="Copy code">Copy</button></div>` +
        `<pre><code class="language-${escapeHtml(l.replace(/[^\w+-]/g, ''))}">${highlight(text, l)}</code></pre></div>`
      );
    },
    link({ href, title, tokens }: Tokens.Link): string {
      const text = this.parser.parseInline(tokens);
      const safe = safeHref(href);
      if (!safe) return fileLink(href, text);
      const t = title ? ` title="${escapeHtml(title)}"` : '';
      return `<a href="${escapeHtml(safe)}"${t} rel="noopener noreferrer nofollow">${text}</a>`;
    },
    image({ href, text }: Tokens.Image): string {
      const safe = safeHref(href);
      const label = `[image: ${escapeHtml(text || 'untitled')}]`;
      return safe ? `<a href="${escapeHtml(safe)}" rel="noopener noreferrer nofollow">${label}</a>` : label;
    },
  },
});

/** Unsanitized (but HTML-escaped) HTML for a Markdown string. */
export function markdownToHtml(src: string): string {
  return marked.parse(src, { async: false }) as string;
}
