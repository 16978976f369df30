import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, realpathSync } from 'node:fs';
import { lstat, mkdir, readFile, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { before, describe, test } from 'node:test';
import { type Json, finished, fixtureAgent, newConversation, send } from '../agents/helpers.ts';
import { withAgentsFile } from '../helpers/agents-file.ts';
import { assertError } from '../helpers/api-assert.ts';
import { useServer } from '../helpers/server.ts';
import { tempDir } from '../helpers/temp.ts';
import { answerJson, probeAgent } from './helpers.ts';

// The filesystem boundary (issue 10, docs/CONTRACT.md section 3), through a real server, real agent
// processes over ACP and real files: a symbolic link that leads out of the allowed folder is refused
// at every component, dangling or not, for the agent's file writes and reads and for every folder the
// API accepts; every file system error is a clear refusal (4xx for the API, an ACP error with a
// sentence for the agent), never a 500 or "Internal error"; links that stay inside keep working.

/** Every entry below `dir` (links not followed), as relative paths, to prove nothing was created. */
async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    out.push(relative(dir, join(e.parentPath, e.name)));
  }
  return out.sort();
}

const dir = realpathSync(tempDir('gmgui-fsb-'));
/** Stands for the user's home: outside GMGUI_ROOTS. */
const home = join(dir, 'home');
const root = join(dir, 'root');
const repo = join(root, 'repo');
mkdirSync(root);

/** A repository as a hostile one could ship it (git stores links as they are), and a home beside it. */
async function prepare(): Promise<void> {
  await mkdir(join(home, '.config', 'autostart'), { recursive: true });
  await writeFile(join(home, 'secret.txt'), 'top secret\n');
  await mkdir(join(repo, 'sub'), { recursive: true });
  await mkdir(join(repo, 'notes'));
  await writeFile(join(repo, 'file.txt'), 'a file\n');
  await writeFile(join(repo, 'readme.txt'), 'old\n');
  await symlink(relative(repo, join(home, '.config', 'autostart', 'x.desktop')), join(repo, 'CHANGELOG.md'));
  await symlink(relative(repo, join(home, '.config', 'no-such-dir', 'y.desktop')), join(repo, 'NOTES.md'));
  await symlink(join(home, '.config', 'docs-out'), join(repo, 'docs'));
  await symlink(join(home, 'secret.txt'), join(repo, 'secret-link'));
  await symlink(join(repo, 'CHANGELOG.md'), join(repo, 'chain'));
  await symlink('loop2', join(repo, 'loop1'));
  await symlink('loop1', join(repo, 'loop2'));
  // Links that stay inside.
  await symlink('notes/today.md', join(repo, 'latest.md'));
  await symlink('sub', join(repo, 'inside-dir'));
  execFileSync('mkfifo', [join(repo, 'fifo')]);
}

describe('the filesystem boundary', () => {
  const s = useServer({
    rootDir: root,
    prepare,
    env: withAgentsFile([fixtureAgent('fs', 'fs'), probeAgent('probe')]),
  });
  let homeBefore: string[];
  before(async () => {
    homeBefore = await tree(home);
  });

  const probe = (conversationId: string, command: unknown) =>
    answerJson(s, conversationId, JSON.stringify(command));

  describe("an agent's file access", () => {
    let conv: Json;
    before(async () => {
      conv = await newConversation(s, 'fs', repo);
    });

    test('a dangling link out (CHANGELOG.md -> ../../…/autostart/x.desktop) is not written through', async () => {
      for (const name of ['CHANGELOG.md', 'NOTES.md', 'chain']) {
        const r = await probe(conv.id, { write: { path: join(repo, name), content: '[Desktop Entry]\n' } });
        assert.equal(r.ok, false, name);
        assert.match(r.error, /outside the conversation folder/, name);
      }
      const r = await probe(conv.id, { write: { path: join(repo, 'docs', 'a.md'), content: 'x' } });
      assert.equal(r.ok, false, 'a dangling link to a folder out, in the middle of the path');
      assert.match(r.error, /outside the conversation folder/);
      assert.deepEqual(await tree(home), homeBefore, 'nothing was created outside');
      assert.equal(
        await readlink(join(repo, 'CHANGELOG.md')),
        relative(repo, join(home, '.config', 'autostart', 'x.desktop')),
      );
    });

    test('a link out to an existing file: neither read nor written', async () => {
      const read = await probe(conv.id, { read: { path: join(repo, 'secret-link') } });
      assert.equal(read.ok, false);
      assert.match(read.error, /outside the conversation folder/);
      const write = await probe(conv.id, { write: { path: join(repo, 'secret-link'), content: 'owned' } });
      assert.equal(write.ok, false);
      assert.equal(await readFile(join(home, 'secret.txt'), 'utf8'), 'top secret\n');
      const dangling = await probe(conv.id, { read: { path: join(repo, 'CHANGELOG.md') } });
      assert.equal(dangling.ok, false);
      assert.match(dangling.error, /outside the conversation folder/, 'not "not found": it leads out');
    });

    test('loops, a file used as a folder, a FIFO, a folder used as a file: clear ACP errors, no hang', async () => {
      const cases: Array<[unknown, RegExp]> = [
        [{ read: { path: join(repo, 'loop1') } }, /loop of symbolic links/],
        [{ write: { path: join(repo, 'loop1', 'x.txt'), content: 'x' } }, /loop of symbolic links/],
        [{ read: { path: join(repo, 'file.txt', 'x') } }, /is a file, not a folder/],
        [{ write: { path: join(repo, 'file.txt', 'x'), content: 'x' } }, /is a file, not a folder/],
        [{ read: { path: join(repo, 'fifo') } }, /Not a file/],
        [{ write: { path: join(repo, 'fifo'), content: 'x' } }, /Not a file/],
        [{ write: { path: join(repo, 'sub'), content: 'x' } }, /is a folder, not a file/],
        [{ read: { path: join(repo, 'a'.repeat(300)) } }, /too long/],
      ];
      for (const [command, message] of cases) {
        const r = await probe(conv.id, command);
        assert.equal(r.ok, false, JSON.stringify(command));
        assert.match(r.error, message, JSON.stringify(r));
        assert.doesNotMatch(r.error, /Internal error/);
      }
      assert.equal((await lstat(join(repo, 'fifo'))).isFIFO(), true);
    });

    test('links that stay inside work, dangling ones too; ordinary files are read and overwritten', async () => {
      const viaDangling = await probe(conv.id, {
        write: { path: join(repo, 'latest.md'), content: 'today' },
      });
      assert.deepEqual(viaDangling, { ok: true });
      assert.equal(await readFile(join(repo, 'notes', 'today.md'), 'utf8'), 'today');
      assert.ok((await lstat(join(repo, 'latest.md'))).isSymbolicLink(), 'the link itself is left as it was');
      const viaDir = await probe(conv.id, {
        write: { path: join(repo, 'inside-dir', 'deep', 'new.txt'), content: 'n' },
      });
      assert.deepEqual(viaDir, { ok: true });
      assert.equal(await readFile(join(repo, 'sub', 'deep', 'new.txt'), 'utf8'), 'n');
      assert.deepEqual(await probe(conv.id, { read: { path: join(repo, 'latest.md') } }), {
        ok: true,
        content: 'today',
      });
      assert.deepEqual(await probe(conv.id, { write: { path: join(repo, 'readme.txt'), content: 'new' } }), {
        ok: true,
      });
      assert.equal(await readFile(join(repo, 'readme.txt'), 'utf8'), 'new');
      const missing = await probe(conv.id, { read: { path: join(repo, 'nope.txt') } });
      assert.equal(missing.ok, false, 'a missing file inside is ACP "resource not found"');
      assert.equal(missing.code, -32002);
    });
  });

  describe('folders the API accepts', () => {
    before(async () => {
      await symlink(join(home, 'projects', 'ghost'), join(root, 'cwd-dangling'));
      await symlink(home, join(root, 'cwd-out'));
      await symlink('cwd-loop', join(root, 'cwd-loop'));
      await symlink('repo', join(root, 'repo-link'));
    });

    const create = (cwd: string) => s.api('POST', '/api/conversations', { agentId: 'probe', cwd });
    const conversations = async () => (await s.api('GET', '/api/conversations')).body.conversations.length;

    test('a conversation cwd: an existing folder inside the roots, reached without leaving them', async () => {
      const before = await conversations();
      assertError(await create(join(root, 'cwd-dangling')), 403, 'outside_roots');
      assertError(await create(join(root, 'cwd-dangling', 'sub')), 403, 'outside_roots');
      assertError(await create(join(root, 'cwd-out')), 403, 'outside_roots');
      assertError(await create(join(repo, 'file.txt')), 400, 'not_a_folder');
      assertError(await create(join(repo, 'latest.md')), 400, 'not_a_folder');
      assertError(await create(join(root, 'missing')), 400, 'folder_not_found');
      assertError(await create(join(root, 'cwd-loop')), 400, 'symlink_loop');
      assertError(await create(join(root, 'x'.repeat(300))), 400, 'name_too_long');
      assertError(await create(join(repo, 'file.txt', 'below')), 400, 'not_a_folder');
      assert.equal(await conversations(), before, 'nothing created');
      const ok = await create(join(root, 'repo-link'));
      assert.equal(ok.status, 201, ok.text);
      assert.equal(ok.body.conversation.cwd, repo, 'kept as its real path');
      await assert.rejects(lstat(join(home, 'projects')), 'nothing created outside');
    });

    test("a message's folderContext", async () => {
      const conv = await newConversation(s, 'probe', repo);
      const post = (path: string) =>
        s.api('POST', `/api/conversations/${conv.id}/messages`, { content: 'hi', folderContext: { path } });
      assertError(await post(join(root, 'cwd-dangling')), 403, 'outside_roots');
      assertError(await post(join(repo, 'docs', 'x')), 403, 'outside_roots');
      assertError(await post(join(root, 'cwd-loop')), 400, 'symlink_loop');
      assertError(await post(join(root, 'y'.repeat(300))), 400, 'name_too_long');
      assert.equal((await s.api('GET', `/api/conversations/${conv.id}/messages`)).body.messages.length, 0);
    });

    test('POST /api/folders: a name too long, a loop, a dangling link out are 4xx, never 500', async () => {
      const folders = (path: string) => s.api('POST', '/api/folders', { path });
      assertError(await folders(join(root, 'z'.repeat(300))), 400, 'name_too_long');
      assertError(await folders(join(root, 'cwd-loop')), 400, 'symlink_loop');
      assertError(await folders(join(root, 'cwd-loop', 'below')), 400, 'symlink_loop');
      assertError(await folders(join(repo, 'loop1')), 400, 'symlink_loop');
      assertError(await folders(join(root, 'cwd-dangling')), 403, 'outside_roots');
      assertError(await folders(join(repo, 'docs')), 403, 'outside_roots');
      assertError(await folders(join(repo, 'file.txt', 'x')), 400, 'not_a_folder');
      // A folder holding loops and dangling links lists the folders it can, nothing else.
      const listed = await folders(repo);
      assert.equal(listed.status, 200, listed.text);
      assert.deepEqual(
        listed.body.folders.map((f: { name: string }) => f.name),
        ['inside-dir', 'notes', 'sub'],
      );
    });

    test('a conversation folder swapped for a link out after creation: the agent is not started there', async () => {
      await mkdir(join(root, 'swap'));
      const conv = await newConversation(s, 'probe', join(root, 'swap'));
      await rm(join(root, 'swap'), { recursive: true });
      await symlink(home, join(root, 'swap'));
      const session = await send(s, conv.id, 'hello');
      const r = await finished(s, session.id);
      assert.equal(r.session.status, 'error');
      assert.match(r.session.error, /outside the folders gmgui may use/);
    });
  });
});
