import { describe, expect, it } from 'vitest';
import { fileRef } from '../../web/src/lib/file-ref';
import { markdownToHtml } from '../../web/src/lib/markdown-core';

describe('file references in agent answers', () => {
  it('reads relative paths with an optional line', () => {
    expect(fileRef('src/app.ts')).toEqual({ path: 'src/app.ts', line: null });
    expect(fileRef('src/app.ts:42')).toEqual({ path: 'src/app.ts', line: 42 });
    expect(fileRef('app.ts:42')).toEqual({ path: 'app.ts', line: 42 });
    expect(fileRef('src/app.ts:42:7')).toEqual({ path: 'src/app.ts', line: 42 });
    expect(fileRef('README.md#L7')).toEqual({ path: 'README.md', line: 7 });
    expect(fileRef('./docs/guide.md')).toEqual({ path: 'docs/guide.md', line: null });
    expect(fileRef('bin/gmgui')).toEqual({ path: 'bin/gmgui', line: null });
    expect(fileRef('src/agents/')).toEqual({ path: 'src/agents', line: null });
  });

  it('leaves code, absolute paths, parents and URLs alone', () => {
    for (const text of [
      'store.get',
      'e.target',
      '1.2.3',
      'npm test',
      '/etc/passwd',
      '../secret.txt',
      'a/../../b.ts',
      'https://example.com/a.ts',
      'mailto:a@b.c',
      'x:1',
      'src//a.ts',
      '',
    ])
      expect(fileRef(text), text).toBeNull();
  });

  it('a relative Markdown link to a file becomes a file reference, not a navigation', () => {
    const html = markdownToHtml('see [the parser](src/parse.ts#L10) and [x](javascript:alert(1))');
    expect(html).toContain('<a href="#" class="file-ref" data-path="src/parse.ts" data-line="10">the parser</a>');
    expect(html).not.toContain('javascript:');
    expect(html).toContain(' x');
  });
});
