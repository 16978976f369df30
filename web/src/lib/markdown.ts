// Sanitized Markdown rendering for the browser (see markdown-core.ts for the first layer).

import DOMPurify from 'dompurify';
import { markdownToHtml } from './markdown-core';

let hooked = false;

function purify(html: string): string {
  if (!hooked) {
    // Links from agents open outside the app and cannot reach back into it.
    DOMPurify.addHook('afterSanitizeAttributes', (node) => {
      // A file reference (markdown-core.ts) opens in the app's workspace panel instead.
      if (node.tagName === 'A' && node.classList.contains('file-ref')) {
        node.setAttribute('role', 'button');
      } else if (node.tagName === 'A') {
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', 'noopener noreferrer nofollow');
      }
      // The one input allowed: a GFM task-list box (markdown-core.ts escapes raw HTML, so only
      // marked makes these), read-only like the agent's list it shows.
      if (node.tagName === 'INPUT') {
        for (const a of Array.from(node.attributes)) if (a.name !== 'checked') node.removeAttribute(a.name);
        node.setAttribute('type', 'checkbox');
        node.setAttribute('disabled', '');
      }
    });
    hooked = true;
  }
  return DOMPurify.sanitize(html, {
    FORBID_TAGS: ['style', 'form', 'textarea', 'select'],
    FORBID_ATTR: ['style'],
  });
}

const cache = new Map<string, string>();

/** Markdown to safe HTML. Finished texts are cached: history re-renders cost nothing. */
export function renderMarkdown(src: string, cacheable = true): string {
  if (cacheable) {
    const hit = cache.get(src);
    if (hit !== undefined) return hit;
  }
  const html = purify(markdownToHtml(src));
  if (cacheable) {
    if (cache.size > 500) cache.clear();
    cache.set(src, html);
  }
  return html;
}
