import { describe, expect, it } from 'vitest';
import { escapeHtml, highlight } from '../../web/src/lib/highlight';
import { markdownToHtml, safeHref } from '../../web/src/lib/markdown-core';

describe('markdown: agent output stays inert', () => {
  it('shows raw HTML as text', () => {
    const html = markdownToHtml(
      '<img src=x onerror="window.__xss=1">\n\n<script>window.__xss=2</script>\n\nok <b onclick="x()">b</b>',
    );
    expect(html).not.toMatch(/<img|<script|<b /i);
    expect(html).toContain('&#60;img src=x onerror=&#34;window.__xss=1&#34;&#62;');
    expect(html).toContain('&#60;script&#62;window.__xss=2&#60;/script&#62;');
  });

  it('drops unsafe link schemes and keeps safe ones', () => {
    expect(safeHref('javascript:alert(1)')).toBeNull();
    expect(safeHref('java\tscript:alert(1)')).toBeNull();
    expect(safeHref(' JAVASCRIPT:alert(1)')).toBeNull();
    expect(safeHref('data:text/html,<script>')).toBeNull();
    expect(safeHref('https://example.com/a?b')).toBe('https://example.com/a?b');
    expect(safeHref('mailto:a@b.c')).toBe('mailto:a@b.c');
    const html = markdownToHtml('[click](javascript:alert(1)) and [ok](https://x.org)');
    expect(html).not.toContain('javascript:');
    expect(html).toContain('href="https://x.org"');
  });

  it('turns images into links (no remote loads from agent output)', () => {
    const html = markdownToHtml('![pixel](https://tracker.example/p.gif)');
    expect(html).not.toContain('<img');
    expect(html).toContain('href="https://tracker.example/p.gif"');
  });

  it('renders code blocks highlighted with a copy button', () => {
    const html = markdownToHtml('```ts\nconst a = "<b>"; // hi\n```');
    expect(html).toContain('class="copy-btn"');
    expect(html).toContain('<span class="tok-kw">const</span>');
    expect(html).toContain('<span class="tok-str">&#34;&#60;b&#62;&#34;</span>');
    expect(html).toContain('<span class="tok-com">// hi</span>');
  });

  it('escapes the language label', () => {
    const html = markdownToHtml('```"><script>x</script>\ncode\n```');
    expect(html).not.toContain('<script>');
  });
});

describe('highlight', () => {
  it('escapes everything and loses no character', () => {
    const src = 'if (a < b && c > "d") { return \'e\' } # <tag>';
    for (const lang of ['js', 'py', 'sh', 'unknown', 'json', 'diff']) {
      const out = highlight(src, lang);
      const text = out.replace(/<[^>]+>/g, '').replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)));
      expect(text).toBe(src);
      expect(out).not.toMatch(/<(?!\/?span)/);
    }
  });

  it('knows comments per language', () => {
    expect(highlight('x = 1 # note', 'python')).toContain('<span class="tok-com"># note</span>');
    expect(highlight('SELECT 1 -- note', 'sql')).toContain('<span class="tok-com">-- note</span>');
  });

  it('escapeHtml covers quotes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&`)).toBe('&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;&#38;');
  });
});
