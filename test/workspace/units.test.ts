import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { htmlLines } from '../../web/src/workspace/code-lines.ts';
import { fileKind, looksLikeText, utf8Boundary } from '../../src/workspace/file-kind.ts';
import { parseDiff, unquote } from '../../src/workspace/git/diff.ts';
import { parseStatus } from '../../src/workspace/git/status.ts';
import { ByteRing } from '../../src/workspace/terminals/ring.ts';

// The pure pieces of the workspace (issue 14): git's output parsers on inputs a real repository makes
// rarely (quoted names, binary files, renames), the text/binary decision, the scrollback ring and the
// line cutting of highlighted code. Everything with files and processes is in the other tests here.

describe('git output', () => {
  test('C-quoted paths come back as the names they are', () => {
    assert.equal(unquote('"tab\\there"'), 'tab\there');
    assert.equal(unquote('"\\303\\274ber \\"q\\""'), 'über "q"');
    assert.equal(unquote('plain name'), 'plain name');
  });

  test('a diff with a new file, a binary, a rename and a quoted name', () => {
    const out = [
      'diff --git a/new.txt b/new.txt',
      'new file mode 100644',
      'index 0000000..3b18e51',
      '--- /dev/null',
      '+++ b/new.txt',
      '@@ -0,0 +1,2 @@',
      '+hello',
      '+world',
      'diff --git a/img.png b/img.png',
      'index 1..2 100644',
      'Binary files a/img.png and b/img.png differ',
      'diff --git a/old b/new',
      'similarity index 90%',
      'rename from old',
      'rename to new',
      '--- a/old',
      '+++ b/new',
      '@@ -1,2 +1,2 @@ context',
      ' same',
      '-gone',
      '+came',
      '\\ No newline at end of file',
      'diff --git "a/t\\tab" "b/t\\tab"',
      'deleted file mode 100644',
      '--- "a/t\\tab"',
      '+++ /dev/null',
      '@@ -1 +0,0 @@',
      '-x',
      '',
    ].join('\n');
    const files = parseDiff(out);
    assert.deepEqual(
      files.map((f) => [f.path, f.oldPath ?? null, f.status, f.binary, f.hunks.length]),
      [
        ['new.txt', null, 'added', false, 1],
        ['img.png', null, 'modified', true, 0],
        ['new', 'old', 'renamed', false, 1],
        ['t\tab', null, 'deleted', false, 1],
      ],
    );
    assert.deepEqual(files[2].hunks[0].lines, [
      { op: 'same', text: 'same', oldNo: 1, newNo: 1 },
      { op: 'del', text: 'gone', oldNo: 2 },
      { op: 'add', text: 'came', newNo: 2 },
    ]);
  });

  test('porcelain v2 status inside a sub-folder: paths relative to it, renames with their origin', () => {
    const out = [
      '# branch.oid (initial)',
      '# branch.head (detached)',
      '1 .M N... 100644 100644 100644 a b app/x y.txt',
      '2 R. N... 100644 100644 100644 a b R100 app/new',
      'app/old',
      'u UU N... 100644 100644 100644 100644 a b c app/conflict',
      '? app/fresh',
      '',
    ].join('\0');
    const r = parseStatus(out, 'app/');
    assert.equal(r.head, null);
    assert.equal(r.branch, null);
    assert.deepEqual(
      r.files.map((f) => [f.path, f.oldPath ?? null, f.status, f.staged, f.unstaged]),
      [
        ['x y.txt', null, 'modified', false, true],
        ['new', 'old', 'renamed', true, false],
        ['conflict', null, 'conflicted', true, true],
        ['fresh', null, 'untracked', false, true],
      ],
    );
  });
});

describe('file kinds', () => {
  test('a UTF-8 character cut at the end is left out, not counted as binary', () => {
    const euro = Buffer.from('ab€', 'utf8');
    assert.equal(utf8Boundary(euro), 5);
    assert.equal(utf8Boundary(euro.subarray(0, 4)), 2);
    assert.equal(utf8Boundary(euro.subarray(0, 3)), 2);
    assert.ok(looksLikeText(euro.subarray(0, 4)));
    assert.ok(!looksLikeText(Buffer.from([0x61, 0x00, 0x62])));
    assert.ok(!looksLikeText(Buffer.from([0xff, 0xfe, 0x41])));
  });

  test('an image is an image by its name and its first bytes', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]);
    assert.deepEqual(fileKind('a.PNG', png), { kind: 'image', mime: 'image/png' });
    assert.deepEqual(fileKind('a.jpg', png), { kind: 'binary' });
    assert.deepEqual(fileKind('a.svg', Buffer.from('<svg xmlns="x"></svg>')), {
      kind: 'image',
      mime: 'image/svg+xml',
    });
    assert.deepEqual(fileKind('a.svg', Buffer.from('not svg')), { kind: 'text' });
  });
});

describe('terminal scrollback', () => {
  test('keeps the newest bytes up to its capacity', () => {
    const ring = new ByteRing(10);
    ring.push(Buffer.from('0123'));
    ring.push(Buffer.from('4567'));
    ring.push(Buffer.from('89ab'));
    assert.equal(ring.contents().toString(), '23456789ab');
    ring.push(Buffer.from('ABCDEFGHIJKLMNOP'));
    assert.equal(ring.contents().toString(), 'GHIJKLMNOP');
    assert.equal(ring.size, 10);
  });
});

describe('highlighted code by lines', () => {
  test('a token over several lines is closed and reopened at each break', () => {
    const html = 'a <span class="tok-com">/* one\ntwo */</span> b\nc';
    assert.deepEqual(htmlLines(html), [
      'a <span class="tok-com">/* one</span>',
      '<span class="tok-com">two */</span> b',
      'c',
    ]);
  });
});
