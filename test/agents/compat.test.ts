import assert from 'node:assert/strict';
import { mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { withAgentsFile } from '../helpers/agents-file.ts';
import { useServer } from '../helpers/server.ts';
import { tempDir } from '../helpers/temp.ts';
import {
  answerPermission,
  answeringPid,
  EXAMPLE_AGENT,
  type Json,
  eventOf,
  finished,
  fixtureAgent,
  newConversation,
  processExists,
  send,
  textOf,
  waitFor,
} from './helpers.ts';

// Agents with other habits than ours: file access confined to the conversation folder, the quirks
// of real agents, and an agent we did not write (the SDK 1.9.0 example agent).

describe('agent compatibility', () => {
  const outside = join(tempDir('gmgui-compat-'), 'outside');
  let folder: string;
  const s = useServer({
    env: {
      ...withAgentsFile([
        fixtureAgent('fs', 'fs'),
        fixtureAgent('quirky', 'quirky'),
        fixtureAgent('pid', 'crash'),
        { id: 'example', name: 'SDK example agent', command: process.execPath, args: [EXAMPLE_AGENT] },
      ]),
      GMGUI_AGENT_IDLE_MS: '2000',
    },
    prepare: async ({ rootDir }) => {
      await mkdir(outside);
      await writeFile(join(outside, 'secret.txt'), 'top secret\n');
      folder = join(rootDir, 'project');
      await mkdir(folder);
      await writeFile(join(folder, 'lines.txt'), 'one\ntwo\nthree\nfour\nfive\n');
    },
  });

  async function probe(conversationId: string, command: unknown): Promise<Json> {
    const session = await send(s, conversationId, JSON.stringify(command));
    const r = await finished(s, session.id);
    assert.equal(r.session.status, 'completed');
    return JSON.parse(textOf(r.events));
  }

  /** A turn of `agentId` up to its permission request, which must offer exactly `options`; answered `answer`. */
  async function permissionAnswered(
    agentId: string,
    prompt: string,
    options: string[],
    answer: string,
  ): Promise<{ conv: Json; session: Json }> {
    const conv = await newConversation(s, agentId);
    const session = await send(s, conv.id, prompt);
    const ask = await eventOf(s, session.id, 'permission_requested');
    assert.deepEqual(
      ask.options.map((o: Json) => o.optionId),
      options,
    );
    assert.equal((await answerPermission(s, ask, answer)).status, 200);
    return { conv, session };
  }

  test('fs/read_text_file and fs/write_text_file inside the conversation folder', async () => {
    const conv = await newConversation(s, 'fs', folder);
    const all = await probe(conv.id, { read: { path: join(folder, 'lines.txt') } });
    assert.deepEqual(all, { ok: true, content: 'one\ntwo\nthree\nfour\nfive\n' });
    const some = await probe(conv.id, { read: { path: join(folder, 'lines.txt'), line: 2, limit: 2 } });
    assert.deepEqual(some, { ok: true, content: 'two\nthree' });
    const wrote = await probe(conv.id, { write: { path: join(folder, 'sub', 'new.txt'), content: 'hello' } });
    assert.deepEqual(wrote, { ok: true });
    assert.equal(await readFile(join(folder, 'sub', 'new.txt'), 'utf8'), 'hello');
  });

  test('outside the conversation folder: an ACP error, nothing read or written', async () => {
    const conv = await newConversation(s, 'fs', folder);
    const read = await probe(conv.id, { read: { path: join(outside, 'secret.txt') } });
    assert.equal(read.ok, false);
    assert.match(read.error, /outside the conversation folder/);
    // A sibling inside the roots but outside this conversation's folder is outside too.
    await writeFile(join(s.rootDir, 'sibling.txt'), 'not yours');
    const sibling = await probe(conv.id, { read: { path: join(s.rootDir, 'sibling.txt') } });
    assert.equal(sibling.ok, false);
    const traversal = await probe(conv.id, { read: { path: `${folder}/../../outside/secret.txt` } });
    assert.equal(traversal.ok, false);
    await symlink(outside, join(folder, 'link-out'));
    const viaLink = await probe(conv.id, { read: { path: join(folder, 'link-out', 'secret.txt') } });
    assert.equal(viaLink.ok, false);
    const write = await probe(conv.id, { write: { path: join(outside, 'planted.txt'), content: 'x' } });
    assert.equal(write.ok, false);
    const writeLink = await probe(conv.id, {
      write: { path: join(folder, 'link-out', 'planted.txt'), content: 'x' },
    });
    assert.equal(writeLink.ok, false);
    await assert.rejects(stat(join(outside, 'planted.txt')));
    const relative = await probe(conv.id, { read: { path: 'lines.txt' } });
    assert.equal(relative.ok, false);
  });

  test('quirks: updates before the prompt, _meta, unknown kinds, extension notifications, late tool input', async () => {
    const { conv, session } = await permissionAnswered('quirky', 'go', ['yes', 'no'], 'yes');
    const { session: done, events } = await finished(s, session.id);
    assert.equal(done.status, 'completed');
    const raw = events.find((e: Json) => e.type === 'agent_update');
    assert.equal(raw.update.sessionUpdate, 'brand_new_kind', 'unknown kinds are kept raw');
    const first = events.find((e: Json) => e.type === 'text_delta');
    assert.deepEqual(first.meta, { vendor: { id: 7 } });
    const late = events.find((e: Json) => e.type === 'tool_update' && e.rawInput);
    assert.deepEqual(late.rawInput, { command: 'ls -la' });
    assert.equal(textOf(events), 'Quirky answer: yes');
    const message = (await s.api('GET', `/api/conversations/${conv.id}/messages`)).body.messages.at(-1);
    const tool = message.content.blocks.find((b: Json) => b.type === 'tool_call');
    assert.deepEqual(tool.rawInput, { command: 'ls -la' }, 'the tool block merges the late input');
    assert.equal(tool.status, 'completed');
  });

  test('the SDK 1.9.0 example agent completes a turn with its permission request answered', async () => {
    const { conv, session } = await permissionAnswered(
      'example',
      'Improve the config',
      ['allow', 'reject'],
      'allow',
    );
    const { session: done, events } = await finished(s, session.id, 60_000);
    assert.equal(done.status, 'completed');
    assert.equal(done.stopReason, 'end_turn');
    assert.match(textOf(events), /successfully updated the configuration/);
    const calls = events.filter((e: Json) => e.type === 'tool_call').map((e: Json) => e.toolCallId);
    assert.deepEqual(calls, ['call_1', 'call_2']);
    const message = (await s.api('GET', `/api/conversations/${conv.id}/messages`)).body.messages.at(-1);
    assert.equal(message.content.text, textOf(events));
  });

  test('an idle agent process is shut down after GMGUI_AGENT_IDLE_MS; the next message starts one', async () => {
    const conv = await newConversation(s, 'pid');
    const pid = await answeringPid(s, conv.id);
    await waitFor(`idle agent ${pid} to be stopped and reaped`, async () => !processExists(pid));
    assert.notEqual(await answeringPid(s, conv.id), pid);
  });
});
