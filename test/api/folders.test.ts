import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { assertError } from '../helpers/api-assert.ts';
import { useInProcess } from '../helpers/in-process.ts';
import { tempDir } from '../helpers/temp.ts';

// /api/home and /api/folders stay inside GMGUI_ROOTS: no "..", no symlink, no absolute path leads out.

const rootA = realpathSync(tempDir('gmgui-rootA-'));
const rootB = realpathSync(tempDir('gmgui-rootB-'));
const outside = realpathSync(tempDir('gmgui-outside-'));

async function makeFolders(): Promise<void> {
  await mkdir(join(rootA, 'src', 'deep'), { recursive: true });
  await mkdir(join(rootA, '.hidden'));
  await mkdir(join(rootA, 'zeta'));
  await writeFile(join(rootA, 'file.txt'), 'not a folder');
  await mkdir(join(outside, 'secret'));
  await symlink(outside, join(rootA, 'link-out'));
  await symlink(join(rootA, 'src'), join(rootA, 'link-in'));
  await symlink(join(rootA, 'file.txt'), join(rootA, 'link-file'));
  await mkdir(join(rootB, 'other'));
}

const s = useInProcess({ rootDir: rootA, env: { GMGUI_ROOTS: `${rootA}:${rootB}` }, prepare: makeFolders });

const folders = (path: string) => s.api('POST', '/api/folders', { path });

describe('/api/home', () => {
  test('a folder inside the roots, with the roots', async () => {
    const r = await s.api('GET', '/api/home');
    assert.equal(r.status, 200);
    assert.equal(r.body.home, rootA, 'the home dir is outside these roots: the first root stands in');
    assert.deepEqual(r.body.roots, [rootA, rootB]);
  });
});

describe('/api/folders', () => {
  test('lists sub-folders only, links to folders inside the roots included, hidden ones last', async () => {
    const r = await folders(rootA);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.path, rootA);
    const names = r.body.folders.map((f: { name: string }) => f.name);
    assert.deepEqual(names, ['link-in', 'src', 'zeta', '.hidden']);
    assert.ok(!names.includes('file.txt') && !names.includes('link-out') && !names.includes('link-file'));
  });

  test('every root can be browsed, nested folders too', async () => {
    assert.deepEqual(
      (await folders(rootB)).body.folders.map((f: { name: string }) => f.name),
      ['other'],
    );
    assert.deepEqual(
      (await folders(join(rootA, 'src'))).body.folders.map((f: { name: string }) => f.name),
      ['deep'],
    );
    // Through an inside link: allowed, answered with the real path.
    const viaLink = await folders(join(rootA, 'link-in'));
    assert.equal(viaLink.status, 200);
    assert.equal(viaLink.body.path, join(rootA, 'src'));
  });

  test('".." that stays inside is fine; ".." that leaves is a 403', async () => {
    const inside = await folders(join(rootA, 'src', 'deep', '..', '..'));
    assert.equal(inside.status, 200);
    assert.equal(inside.body.path, rootA);
    for (const p of [join(rootA, '..'), `${rootA}/src/../../`, `${rootA}/../${outside.split('/').pop()}`]) {
      assertError(await folders(p), 403, 'outside_roots');
    }
  });

  test('a symlink that leads out is a 403, and so is anything below it', async () => {
    assertError(await folders(join(rootA, 'link-out')), 403, 'outside_roots');
    assertError(await folders(join(rootA, 'link-out', 'secret')), 403, 'outside_roots');
    assertError(await folders(join(rootA, 'link-out', 'does-not-exist')), 403, 'outside_roots');
  });

  test("absolute paths outside, a root's parent, relative paths and NUL bytes are 403s", async () => {
    for (const p of ['/', '/etc', outside, tmpdir(), 'src', '.', `${rootA}\u0000/src`]) {
      assertError(await folders(p), 403, 'outside_roots');
    }
  });

  test('a file is a 400, a missing folder inside a root a 404, a bad body a 400', async () => {
    assertError(await folders(join(rootA, 'file.txt')), 400, 'not_a_folder');
    assertError(await folders(join(rootA, 'link-file')), 400, 'not_a_folder');
    assertError(await folders(join(rootA, 'nope')), 404);
    assertError(await s.api('POST', '/api/folders', {}), 400);
    assertError(await s.api('POST', '/api/folders', { path: 7 }), 400);
    assertError(await s.api('POST', '/api/folders', { path: '' }), 400);
  });

  test('needs the token', async () => {
    assertError(await s.api('POST', '/api/folders', { path: rootA }, { authorization: '' }), 401);
    assertError(await s.api('GET', '/api/home', undefined, { authorization: '' }), 401);
  });
});
