import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AssistantAccumulator } from '../../src/agents/assistant-blocks.ts';
import { FolderAccess, FsDenied } from '../../src/agents/fs-access.ts';
import { parseModes } from '../../src/agents/session-settings.ts';
import { isHistoryReplay, mapSessionUpdate } from '../../src/agents/update-mapper.ts';
import { allowAlwaysKey } from '../../src/commands/permissions.ts';
import { offersMode } from '../../src/domain/agent-settings.ts';
import type { OutputEventBody } from '../../src/domain/events.ts';

// The pure pieces of the agents area, without processes.

test('every ACP update kind maps to a CONTRACT event; odd input never throws', () => {
  const chunk = (sessionUpdate: string) => ({ sessionUpdate, content: { type: 'text', text: 'x' } });
  assert.deepEqual(mapSessionUpdate(chunk('agent_message_chunk')), { type: 'text_delta', text: 'x' });
  assert.deepEqual(mapSessionUpdate(chunk('agent_thought_chunk')), { type: 'thought_delta', text: 'x' });
  assert.equal(mapSessionUpdate(chunk('user_message_chunk')).type, 'user_chunk');
  assert.deepEqual(mapSessionUpdate({ sessionUpdate: 'tool_call', toolCallId: 't' }), {
    type: 'tool_call',
    toolCallId: 't',
    title: '',
    kind: 'other',
    status: 'pending',
    content: [],
    locations: [],
  });
  assert.deepEqual(
    mapSessionUpdate({ sessionUpdate: 'tool_call_update', toolCallId: 't', status: 'completed' }),
    {
      type: 'tool_update',
      toolCallId: 't',
      status: 'completed',
    },
  );
  assert.deepEqual(mapSessionUpdate({ sessionUpdate: 'plan', entries: [] }), { type: 'plan', entries: [] });
  assert.equal(mapSessionUpdate({ sessionUpdate: 'current_mode_update', currentModeId: 'm' }).type, 'mode');
  assert.equal(
    mapSessionUpdate({ sessionUpdate: 'available_commands_update', availableCommands: [] }).type,
    'commands',
  );
  assert.deepEqual(
    mapSessionUpdate({ sessionUpdate: 'config_option_update', configOptions: [{ id: 'm' }] }),
    {
      type: 'config',
      configOptions: [{ id: 'm' }],
    },
  );
  assert.deepEqual(mapSessionUpdate({ sessionUpdate: 'usage_update', used: 1, size: 2 }), {
    type: 'usage',
    used: 1,
    size: 2,
  });
  for (const odd of [
    null,
    7,
    'x',
    [],
    {},
    { sessionUpdate: 'future_kind', a: 1 },
    { sessionUpdate: 'tool_call' },
  ]) {
    assert.equal(mapSessionUpdate(odd).type, 'agent_update');
  }
  assert.deepEqual(
    mapSessionUpdate({
      sessionUpdate: 'agent_message_chunk',
      content: { type: 'text', text: 'y' },
      _meta: { a: 1 },
    }),
    { type: 'text_delta', text: 'y', meta: { a: 1 } },
  );
  assert.equal(isHistoryReplay(chunk('user_message_chunk')), true);
  assert.equal(isHistoryReplay({ sessionUpdate: 'available_commands_update' }), false);
});

test('session modes from raw JSON: odd shapes are tolerated, no modes is null', () => {
  const modes = parseModes({
    currentModeId: 'b',
    availableModes: [
      { id: 'a', name: 'A', description: 'first', _meta: {} },
      { id: 'b' },
      { name: 'no id' },
      7,
    ],
  });
  assert.deepEqual(modes, {
    currentModeId: 'b',
    availableModes: [
      { id: 'a', name: 'A', description: 'first' },
      { id: 'b', name: 'b' },
    ],
  });
  assert.ok(offersMode(modes, 'a'));
  assert.ok(!offersMode(modes, 'c'));
  assert.ok(!offersMode(null, 'a'));
  assert.equal(parseModes({ currentModeId: 'x', availableModes: [] }), null);
  assert.equal(parseModes(null), null);
  assert.equal(parseModes({ availableModes: [{ id: 'only' }] })?.currentModeId, 'only');
});

test('the assistant message: text is the exact concatenation; blocks merge in order', () => {
  const acc = new AssistantAccumulator();
  const events: OutputEventBody[] = [
    { type: 'thought_delta', text: 'a' },
    { type: 'thought_delta', text: 'b' },
    { type: 'text_delta', text: 'Hel' },
    { type: 'text_delta', text: 'lo' },
    { type: 'tool_update', toolCallId: 'late', rawInput: { x: 1 } },
    {
      type: 'tool_call',
      toolCallId: 't1',
      title: 'Read',
      kind: 'read',
      status: 'pending',
      content: [],
      locations: [],
    },
    { type: 'plan', entries: [1] },
    { type: 'tool_update', toolCallId: 't1', status: 'completed' },
    { type: 'plan', entries: [1, 2] },
    { type: 'text_delta', text: '!' },
  ];
  for (const e of events) acc.add(e);
  assert.equal(acc.text, 'Hello!');
  assert.deepEqual(
    acc.blocks.map((b) => b.type),
    ['thought', 'text', 'tool_call', 'tool_call', 'plan', 'text'],
  );
  assert.equal((acc.blocks[3] as Record<string, unknown>).status, 'completed');
  assert.deepEqual((acc.blocks[4] as { entries: unknown[] }).entries, [1, 2]);
});

test('allow-always keys: the tool kind, else its title', () => {
  assert.equal(allowAlwaysKey({ kind: 'edit', title: 'x' }), 'kind:edit');
  assert.equal(allowAlwaysKey({ kind: 'other', title: 'Fetch' }), 'title:Fetch');
  assert.equal(allowAlwaysKey(null), null);
});

test('folder access is confined to the conversation folder, symlinks resolved', async () => {
  const root = await mkdtemp(join(tmpdir(), 'gmgui-fs-'));
  try {
    const folder = join(root, 'proj');
    await mkdir(folder);
    await writeFile(join(folder, 'a.txt'), '1\n2\n3');
    await writeFile(join(root, 'secret'), 's');
    await symlink(join(root, 'secret'), join(folder, 'link'));
    const fa = await FolderAccess.create(folder, [root]);
    assert.ok(fa);
    assert.equal(await fa.readTextFile(join(folder, 'a.txt'), 3, 10), '3');
    assert.equal(await fa.readTextFile(join(folder, 'a.txt'), null, 1), '1');
    await assert.rejects(fa.readTextFile(join(folder, 'link')), FsDenied);
    await assert.rejects(fa.readTextFile(join(root, 'secret')), FsDenied);
    await assert.rejects(fa.writeTextFile(join(folder, '..', 'x'), 'no'), FsDenied);
    assert.equal(await FolderAccess.create('/', [root]), null, 'a folder outside the roots gets no access');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
