import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, realpathSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { before, describe, test } from 'node:test';
import { type Json, newConversation } from '../agents/helpers.ts';
import { assertError } from '../helpers/api-assert.ts';
import { useServer } from '../helpers/server.ts';
import { tempDir } from '../helpers/temp.ts';

// The file tree and viewer of a conversation's folder (issue 14, docs/CONTRACT.md section 9 "Files"),
// through a real server and real files: one level at a time, folders first, .git left out; text,
// truncated text, binary and images; and the agents' confinement: a link that leads out is refused,
// dangling or not, while links that stay inside are followed.

const dir = realpathSync(tempDir('gmgui-ws-files-'));
const home = join(dir, 'home');
const root = join(dir, 'root');
const proj = join(root, 'proj');
mkdirSync(root);

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

async function prepare(): Promise<void> {
  await mkdir(home, { recursive: true });
  await writeFile(join(home, 'secret.txt'), 'top secret\n');
  await mkdir(join(proj, 'src', 'deep'), { recursive: true });
  await mkdir(join(proj, '.git'));
  await writeFile(
    join(proj, '.git', 'config'),
    '[remote "origin"]\n\turl = https://user:token@example.com/x\n',
  );
  await writeFile(join(proj, 'src', 'main.ts'), 'export const x = 1;\n// ünïcödé\n');
  await writeFile(join(proj, 'README.md'), '# hello\n');
  await writeFile(join(proj, '.env'), 'A=1\n');
  await writeFile(join(proj, 'blob.bin'), Buffer.from([0, 1, 2, 3, 255, 0]));
  await writeFile(join(proj, 'pixel.png'), PNG);
  await writeFile(join(proj, 'fake.png'), 'not an image\n');
  // 2 MiB + a bit, with a 3-byte character across the 2 MiB line.
  await writeFile(join(proj, 'big.txt'), `${'a'.repeat(2 * 1024 * 1024 - 1)}€tail\n`);
  // Links that lead out, existing and dangling, and links that stay inside.
  await symlink(join(home, 'secret.txt'), join(proj, 'secret-link'));
  await symlink(relative(proj, join(home, 'nope', 'x.txt')), join(proj, 'dangling-out'));
  await symlink(home, join(proj, 'home-dir'));
  await symlink('src/main.ts', join(proj, 'main-link.ts'));
  await symlink('src', join(proj, 'src-link'));
  await symlink('.git/config', join(proj, 'git-config-link'));
  await symlink('loop-b', join(proj, 'loop-a'));
  await symlink('loop-a', join(proj, 'loop-b'));
}

describe('workspace files', () => {
  const s = useServer({ rootDir: root, prepare });
  let conv: Json;
  before(async () => {
    conv = await newConversation(s, 'demo', proj);
  });
  const get = (route: string, path: string) =>
    s.api('GET', `/api/conversations/${conv.id}/${route}?path=${encodeURIComponent(path)}`);

  test('the tree: one level, folders first then by name, .git left out, links typed', async () => {
    const r = await get('tree', '');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.path, '');
    assert.equal(r.body.truncated, false);
    const byName = Object.fromEntries(r.body.entries.map((e: Json) => [e.name, e]));
    assert.ok(!('.git' in byName), '.git is not listed');
    const names = r.body.entries.map((e: Json) => e.name);
    const dirs = r.body.entries.filter((e: Json) => e.type === 'dir').map((e: Json) => e.name);
    assert.deepEqual(names.slice(0, dirs.length), dirs, 'folders come first');
    assert.deepEqual(dirs.sort(), ['src', 'src-link']);
    assert.equal(byName['src-link'].link, true);
    assert.equal(byName['README.md'].type, 'file');
    assert.equal(byName['README.md'].size, 8);
    assert.equal(byName['.env'].hidden, true);
    assert.equal(byName['main-link.ts'].type, 'file');
    for (const out of ['secret-link', 'dangling-out', 'home-dir', 'git-config-link', 'loop-a'])
      assert.equal(byName[out].type, 'link', `${out} is shown as a link, not followed`);
    const sub = await get('tree', 'src');
    assert.equal(sub.status, 200, sub.text);
    assert.deepEqual(
      sub.body.entries.map((e: Json) => [e.name, e.type, e.path]),
      [
        ['deep', 'dir', 'src/deep'],
        ['main.ts', 'file', 'src/main.ts'],
      ],
    );
    const viaLink = await get('tree', 'src-link');
    assert.equal(viaLink.status, 200, viaLink.text);
    assert.equal(viaLink.body.path, 'src', 'a link that stays inside is followed to its real place');
  });

  test('a text file, by relative or absolute path, with its hash', async () => {
    for (const p of ['src/main.ts', join(proj, 'src', 'main.ts'), 'main-link.ts']) {
      const r = await get('file', p);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.kind, 'text');
      assert.equal(r.body.path, 'src/main.ts');
      assert.equal(r.body.text, 'export const x = 1;\n// ünïcödé\n');
      assert.equal(r.body.truncated, false);
      assert.match(r.body.hash, /^[0-9a-f]{64}$/);
    }
  });

  test('a large text file is cut at 2 MiB on a character boundary', async () => {
    const r = await get('file', 'big.txt');
    assert.equal(r.status, 200);
    assert.equal(r.body.truncated, true);
    assert.equal(r.body.text.length, 2 * 1024 * 1024 - 1, 'the € that straddles the limit is left out whole');
    assert.ok(!r.body.text.includes('\ufffd'));
  });

  test('binary files are metadata only; images by name and magic bytes, served with their type', async () => {
    const bin = await get('file', 'blob.bin');
    assert.equal(bin.status, 200);
    assert.equal(bin.body.kind, 'binary');
    assert.equal(bin.body.size, 6);
    assert.equal(bin.body.text, undefined);
    const png = await get('file', 'pixel.png');
    assert.equal(png.body.kind, 'image');
    assert.equal(png.body.mime, 'image/png');
    const raw = await get('file/raw', 'pixel.png');
    assert.equal(raw.status, 200);
    assert.equal(raw.headers.get('content-type'), 'image/png');
    assert.equal(raw.headers.get('x-content-type-options'), 'nosniff');
    assert.match(raw.headers.get('content-security-policy') ?? '', /sandbox/);
    const fake = await get('file', 'fake.png');
    assert.equal(fake.body.kind, 'text', 'a .png that is not one is not an image');
    assertError(await get('file/raw', 'fake.png'), 400, 'not_a_file');
    assertError(await get('file/raw', 'README.md'), 400, 'not_a_file');
  });

  test('links that lead out are refused, dangling or not, and so are paths outside', async () => {
    for (const p of [
      'secret-link',
      'dangling-out',
      'home-dir/secret.txt',
      '../../home/secret.txt',
      join(home, 'secret.txt'),
      '/etc/passwd',
    ])
      assertError(await get('file', p), 403, 'outside_folder');
    assertError(await get('tree', 'home-dir'), 403, 'outside_folder');
    assertError(await get('tree', '..'), 403, 'outside_folder');
    const raw = await get('file/raw', 'secret-link');
    assertError(raw, 403, 'outside_folder');
    assert.ok(!raw.text.includes('top secret'));
  });

  test('.git is never served; missing, loops, folders and bad paths are clear 4xx', async () => {
    assertError(await get('file', '.git/config'), 403, 'forbidden');
    assertError(await get('file', 'git-config-link'), 403, 'forbidden');
    assertError(await get('tree', '.git'), 403, 'forbidden');
    assertError(await get('file', 'nope.txt'), 404, 'not_found');
    assertError(await get('tree', 'nope'), 404, 'not_found');
    assertError(await get('file', 'loop-a'), 400, 'symlink_loop');
    assertError(await get('file', 'src'), 400, 'not_a_file');
    assertError(await get('tree', 'README.md'), 400, 'not_a_folder');
    assertError(await get('file', 'README.md/x'), 400, 'not_a_folder');
    assertError(await get('file', 'a\0b'), 400, 'invalid_request');
    assertError(await get('file', 'x'.repeat(5000)), 400, 'invalid_request');
    assertError(await s.api('GET', '/api/conversations/nope/tree'), 404, 'not_found');
  });

  test('without the token: 401', async () => {
    const r = await fetch(`${s.base}/api/conversations/${conv.id}/file?path=README.md`);
    assert.equal(r.status, 401);
  });
});

describe('workspace changes: git status and diff of a real repository', () => {
  const gdir = realpathSync(tempDir('gmgui-ws-git-'));
  const repo = join(gdir, 'repo');
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.com', ...args], { cwd: repo });
  const s = useServer({
    rootDir: gdir,
    prepare: async () => {
      await mkdir(join(repo, 'app'), { recursive: true });
      git('init', '-q', '-b', 'main');
      await writeFile(join(repo, 'app', 'a.txt'), 'one\ntwo\nthree\n');
      await writeFile(join(repo, 'app', 'gone.txt'), 'bye\n');
      await writeFile(join(repo, 'app', 'old name.txt'), 'moving\nalong\nnicely\n');
      await writeFile(join(repo, 'top.txt'), 'outside the app folder\n');
      git('add', '-A');
      git('commit', '-q', '-m', 'first');
      await writeFile(join(repo, 'app', 'a.txt'), 'one\n2\nthree\nfour\n');
      await writeFile(join(repo, 'app', 'new ünï.txt'), 'fresh\n');
      await writeFile(join(repo, 'app', 'staged.txt'), 'staged\n');
      git('rm', '-q', 'app/gone.txt');
      git('mv', 'app/old name.txt', 'app/new name.txt');
      git('add', 'app/staged.txt');
      await writeFile(join(repo, 'top.txt'), 'changed outside the folder\n');
    },
  });

  test('status of the folder, paths relative to it, quoting off', async () => {
    const conv = await newConversation(s, 'demo', join(repo, 'app'));
    const r = await s.api('GET', `/api/conversations/${conv.id}/git/status`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.repository, true);
    assert.equal(r.body.branch, 'main');
    assert.match(r.body.head, /^[0-9a-f]{40}$/);
    const by = Object.fromEntries(r.body.files.map((f: Json) => [f.path, f]));
    assert.deepEqual(Object.keys(by).sort(), [
      'a.txt',
      'gone.txt',
      'new name.txt',
      'new ünï.txt',
      'staged.txt',
    ]);
    assert.equal(by['a.txt'].status, 'modified');
    assert.equal(by['a.txt'].unstaged, true);
    assert.equal(by['a.txt'].staged, false);
    assert.equal(by['gone.txt'].status, 'deleted');
    assert.equal(by['new name.txt'].status, 'renamed');
    assert.equal(by['new name.txt'].oldPath, 'old name.txt');
    assert.equal(by['new ünï.txt'].status, 'untracked');
    assert.equal(by['staged.txt'].status, 'added');
    assert.equal(by['staged.txt'].staged, true);
  });

  test('diff against HEAD, parsed into hunks with line numbers', async () => {
    const conv = await newConversation(s, 'demo', join(repo, 'app'));
    const r = await s.api('GET', `/api/conversations/${conv.id}/git/diff`);
    assert.equal(r.status, 200, r.text);
    const by = Object.fromEntries(r.body.files.map((f: Json) => [f.path, f]));
    assert.deepEqual(Object.keys(by).sort(), ['a.txt', 'gone.txt', 'new name.txt', 'staged.txt']);
    assert.equal(by['gone.txt'].status, 'deleted');
    assert.equal(by['staged.txt'].status, 'added');
    assert.equal(by['new name.txt'].status, 'renamed');
    assert.equal(by['new name.txt'].oldPath, 'old name.txt');
    const lines = by['a.txt'].hunks.flatMap((h: Json) => h.lines);
    assert.deepEqual(
      lines.map((l: Json) => [l.op, l.text, l.oldNo ?? null, l.newNo ?? null]),
      [
        ['same', 'one', 1, 1],
        ['del', 'two', 2, null],
        ['add', '2', null, 2],
        ['same', 'three', 3, 3],
        ['add', 'four', null, 4],
      ],
    );
    const one = await s.api('GET', `/api/conversations/${conv.id}/git/diff?path=a.txt`);
    assert.deepEqual(
      one.body.files.map((f: Json) => f.path),
      ['a.txt'],
    );
  });

  test('a folder in no repository, and a repository before its first commit', async () => {
    await mkdir(join(gdir, 'plain'));
    const plain = await newConversation(s, 'demo', join(gdir, 'plain'));
    const r = await s.api('GET', `/api/conversations/${plain.id}/git/status`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { repository: false });
    await mkdir(join(gdir, 'fresh'));
    execFileSync('git', ['init', '-q'], { cwd: join(gdir, 'fresh') });
    await writeFile(join(gdir, 'fresh', 'x.txt'), 'x\n');
    execFileSync('git', ['add', 'x.txt'], { cwd: join(gdir, 'fresh') });
    const fresh = await newConversation(s, 'demo', join(gdir, 'fresh'));
    const st = await s.api('GET', `/api/conversations/${fresh.id}/git/status`);
    assert.equal(st.body.head, null);
    assert.deepEqual(
      st.body.files.map((f: Json) => [f.path, f.status]),
      [['x.txt', 'added']],
    );
    const d = await s.api('GET', `/api/conversations/${fresh.id}/git/diff`);
    assert.equal(d.status, 200, d.text);
    assert.deepEqual(d.body.files[0].hunks[0].lines, [{ op: 'add', text: 'x', newNo: 1 }]);
  });

  test('a repository config cannot run a program on status (fsmonitor is forced off)', async () => {
    await mkdir(join(gdir, 'hostile'));
    const h = join(gdir, 'hostile');
    execFileSync('git', ['init', '-q'], { cwd: h });
    const marker = join(gdir, 'pwned');
    execFileSync('git', ['config', 'core.fsmonitor', `touch ${marker}; false`], { cwd: h });
    const conv = await newConversation(s, 'demo', h);
    const r = await s.api('GET', `/api/conversations/${conv.id}/git/status`);
    assert.equal(r.status, 200, r.text);
    assert.throws(() => realpathSync(marker), 'the fsmonitor command never ran');
  });
});
