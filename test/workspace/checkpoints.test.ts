import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import {
  type Json,
  conversationEvents,
  eventOf,
  finished,
  newConversation,
  send,
  turn,
} from '../agents/helpers.ts';
import { editorProject } from '../helpers/agents-file.ts';
import { assertError } from '../helpers/api-assert.ts';
import { useServer } from '../helpers/server.ts';

// Per-turn checkpoints (issue 14, docs/CONTRACT.md section 9 "Checkpoints"), through a real server, a
// real ACP agent process and real files: a turn that edits two files (one through the client's
// fs/write_text_file, one by itself, reported afterwards) and creates a third; its checkpoint event,
// its diff, a refused revert when a later turn changed one of the files, and reverts that put every
// byte back (the created file removed).

const { rootDir, proj, env } = editorProject('gmgui-ws-cp-');

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const read = (p: string) => readFile(join(proj, p), 'utf8');

const A0 = 'alpha\nline two\n';
const B0 = 'beta ünï\n';

describe('per-turn checkpoints', () => {
  const s = useServer({
    rootDir,
    env,
    prepare: async () => {
      await writeFile(join(proj, 'a.txt'), A0);
      await writeFile(join(proj, 'b.txt'), B0);
    },
  });
  let conv: Json;
  let first: Json;
  let second: Json;
  const edits = (list: Json[]) => JSON.stringify({ edits: list });
  before(async () => {
    conv = await newConversation(s, 'editor', proj);
  });

  test('a turn that edits two files and creates one records one checkpoint event', async () => {
    first = await turn(
      s,
      conv.id,
      edits([
        { path: 'a.txt', content: 'alpha 2\nline two\n' },
        { path: 'b.txt', content: 'beta 2\n', via: 'direct' },
        { path: 'sub/c.txt', content: 'gamma\n' },
      ]),
    );
    assert.equal(await read('sub/c.txt'), 'gamma\n');
    const types = first.events.map((e: Json) => e.type);
    const cp = first.events.find((e: Json) => e.type === 'checkpoint');
    assert.ok(cp, `a checkpoint event among ${types}`);
    assert.ok(types.indexOf('checkpoint') < types.indexOf('done'), 'the checkpoint comes before done');
    assert.deepEqual(cp.files, [
      { path: 'a.txt', before: sha(A0), after: sha('alpha 2\nline two\n') },
      { path: 'b.txt', before: sha(B0), after: sha('beta 2\n') },
      { path: 'sub/c.txt', before: null, after: sha('gamma\n') },
    ]);
    const list = await s.api('GET', `/api/conversations/${conv.id}/checkpoints`);
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(
      list.body.checkpoints.map((c: Json) => [c.sessionId, c.files.length, c.reverted]),
      [[first.session.id, 3, null]],
    );
  });

  test("the turn's diff: each file before the turn and at its end", async () => {
    const r = await s.api('GET', `/api/sessions/${first.session.id}/changes`);
    assert.equal(r.status, 200, r.text);
    const by = Object.fromEntries(r.body.files.map((f: Json) => [f.path, f]));
    assert.equal(by['a.txt'].change, 'modified');
    assert.equal(by['a.txt'].beforeText, A0);
    assert.equal(by['a.txt'].afterText, 'alpha 2\nline two\n');
    assert.equal(by['a.txt'].changedSince, false);
    assert.equal(by['b.txt'].beforeText, B0);
    assert.equal(by['sub/c.txt'].change, 'created');
    assert.equal(by['sub/c.txt'].beforeText, undefined);
    assert.equal(by['sub/c.txt'].afterText, 'gamma\n');
  });

  test('while a turn of the conversation runs, no revert', async () => {
    const running = await send(s, conv.id, JSON.stringify({ edits: [], hold: true }));
    await eventOf(s, running.id, 'session_updated', (e) => e.status === 'processing');
    const r = await s.api('POST', `/api/sessions/${first.session.id}/revert`);
    assertError(r, 409, 'turn_running');
    assert.equal(await read('a.txt'), 'alpha 2\nline two\n');
    assert.equal((await s.api('POST', `/api/sessions/${running.id}/cancel`)).status < 300, true);
    assert.equal((await finished(s, running.id)).session.status, 'cancelled');
  });

  test('a later turn changed a file: reverting the first is refused and changes nothing', async () => {
    second = await turn(s, conv.id, edits([{ path: 'a.txt', content: 'alpha 3\n' }]));
    const changes = await s.api('GET', `/api/sessions/${first.session.id}/changes`);
    assert.equal(changes.body.files.find((f: Json) => f.path === 'a.txt').changedSince, true);
    const r = await s.api('POST', `/api/sessions/${first.session.id}/revert`);
    assertError(r, 409, 'changed_since');
    assert.match(r.body.error, /a\.txt/);
    assert.equal(await read('a.txt'), 'alpha 3\n');
    assert.equal(await read('b.txt'), 'beta 2\n');
    assert.equal(await read('sub/c.txt'), 'gamma\n');
  });

  test('reverting the later turn, then the first, restores all three exactly', async () => {
    const r2 = await s.api('POST', `/api/sessions/${second.session.id}/revert`);
    assert.equal(r2.status, 200, r2.text);
    assert.deepEqual(r2.body.files, [{ path: 'a.txt', action: 'restored' }]);
    assert.equal(await read('a.txt'), 'alpha 2\nline two\n');
    const r1 = await s.api('POST', `/api/sessions/${first.session.id}/revert`);
    assert.equal(r1.status, 200, r1.text);
    assert.deepEqual(r1.body.files, [
      { path: 'a.txt', action: 'restored' },
      { path: 'b.txt', action: 'restored' },
      { path: 'sub/c.txt', action: 'removed' },
    ]);
    assert.equal(await read('a.txt'), A0);
    assert.equal(await read('b.txt'), B0);
    assert.equal(existsSync(join(proj, 'sub', 'c.txt')), false, 'the created file is gone');
    const events = await conversationEvents(s, conv.id);
    const reverts = events.filter((e: Json) => e.type === 'checkpoint_reverted');
    assert.deepEqual(
      reverts.map((e: Json) => e.sessionId),
      [second.session.id, first.session.id],
    );
    assertError(await s.api('POST', `/api/sessions/${first.session.id}/revert`), 409, 'already_reverted');
    const list = await s.api('GET', `/api/conversations/${conv.id}/checkpoints`);
    assert.ok(list.body.checkpoints.every((c: Json) => c.reverted !== null));
  });

  test('a file put back by hand counts as unchanged; a turn without edits has nothing to revert', async () => {
    const t = await turn(s, conv.id, edits([{ path: 'b.txt', content: 'beta 4\n' }]));
    await writeFile(join(proj, 'b.txt'), B0);
    const r = await s.api('POST', `/api/sessions/${t.session.id}/revert`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.files, [{ path: 'b.txt', action: 'unchanged' }]);
    const none = await turn(s, conv.id, edits([]));
    assert.ok(!none.events.some((e: Json) => e.type === 'checkpoint'));
    assertError(await s.api('POST', `/api/sessions/${none.session.id}/revert`), 409, 'nothing_to_revert');
    assertError(await s.api('GET', `/api/sessions/${none.session.id}/changes`), 409, 'nothing_to_revert');
    assertError(await s.api('POST', '/api/sessions/nope/revert'), 404, 'not_found');
  });
});
