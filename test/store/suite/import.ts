import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createConversation } from '../../../src/commands/conversations.ts';
import { recordPermissionRequest, resolvePermission } from '../../../src/commands/permissions.ts';
import { recordConversationUpdated } from '../../../src/commands/record.ts';
import {
  appendAgentOutput,
  claimNextSession,
  finishTurn,
  markPromptSent,
} from '../../../src/commands/runner.ts';
import { AppError } from '../../../src/domain/errors.ts';
import { jsonlExport } from '../../../src/history/export.ts';
import { importConversation } from '../../../src/history/import.ts';
import { readExportFile } from '../../../src/history/read-file.ts';
import type { Store } from '../../../src/store/types.ts';
import type { Harness } from './harness.ts';
import { exportedEvents } from '../../helpers/export-file.ts';

// Import of an exported conversation (src/history/, record.ts recordImport): one transaction that
// writes the rows and the log with the same ids, order and times; all or nothing; idempotent.

const OWNER = 'runner-import';
const root = mkdtempSync(join(tmpdir(), 'gmgui-import-root-'));

async function exportOf(store: Store, id: string): Promise<string> {
  let out = '';
  for await (const chunk of jsonlExport(store, id, 1)) out += chunk;
  return out;
}

/** A conversation with two finished turns: output, a tool call, a permission request answered. */
async function busyConversation(h: Harness): Promise<string> {
  const c = await h.tx((t) => createConversation(t, { agentId: 'demo', title: 'Export me', cwd: root }));
  for (const [i, outcome] of ['completed', 'error'].entries()) {
    await h.send(c.id, `question ${i}`);
    const claimed = await h.tx((t) =>
      claimNextSession(t, { owner: OWNER, leaseMs: 60_000, skipConversations: new Set() }),
    );
    assert.ok(claimed);
    const sessionId = claimed.session.id;
    await h.tx((t) => markPromptSent(t, { sessionId, owner: OWNER }));
    await h.tx((t) =>
      appendAgentOutput(t, {
        sessionId,
        owner: OWNER,
        events: [
          {
            type: 'tool_call',
            toolCallId: `tc${i}`,
            title: 'Edit a.txt',
            kind: 'edit',
            status: 'pending',
            content: [],
            locations: [],
          },
          { type: 'text_delta', text: `answer ${i} ✓` },
        ],
      }),
    );
    const options = [{ optionId: 'yes', name: 'Allow', kind: 'allow_once' }];
    await h.tx((t) =>
      recordPermissionRequest(t, {
        requestId: `r${i}`,
        sessionId,
        conversationId: c.id,
        toolCall: { toolCallId: `tc${i}` },
        options,
      }),
    );
    await h.tx((t) => resolvePermission(t, { sessionId, requestId: `r${i}`, optionId: 'yes' }));
    await h.tx((t) =>
      finishTurn(t, {
        sessionId,
        owner: OWNER,
        events: [],
        outcome:
          outcome === 'completed'
            ? { kind: 'completed', stopReason: 'end_turn', text: `answer ${i} ✓`, blocks: [] }
            : { kind: 'error', error: 'it broke' },
      }),
    );
  }
  return c.id;
}

async function rowsOf(store: Store, id: string) {
  const sessions = await store.listSessions(id);
  return {
    conversation: await store.getConversation(id),
    messages: await store.listMessages(id),
    sessions,
    permissions: await Promise.all(
      sessions.flatMap((s) => ['r0', 'r1'].map((r) => store.getPermission(s.id, r))),
    ),
  };
}

export function importCases(h: Harness): void {
  // On PostgreSQL a fresh store empties the one test database: what the source held is read before.
  test('import recreates an export on an empty store: same rows, same events in order, same times; twice changes nothing', async () => {
    const source = await h.open();
    const id = await busyConversation(h);
    const file = await exportOf(source, id);
    const rows = await rowsOf(source, id);
    const target = await h.open();
    assert.equal(await target.getConversation(id), null);
    const first = await importConversation(target, readExportFile(Buffer.from(file)), [root]);
    assert.equal(first.status, 201);
    assert.deepEqual(await rowsOf(target, id), rows);
    assert.deepEqual(exportedEvents(await exportOf(target, id)), exportedEvents(file));
    assert.deepEqual((await target.dumpTables()).messages, rows.messages);
    const seq = await target.lastSeq();
    const again = await importConversation(target, readExportFile(Buffer.from(file)), [root]);
    assert.equal(again.status, 200);
    assert.deepEqual(again.conversation, first.conversation);
    assert.equal(await target.lastSeq(), seq, 'the second import wrote nothing');
  });

  test('an import that conflicts writes nothing; a conversation of the same id that changed is a conflict', async () => {
    const source = await h.open();
    const id = await busyConversation(h);
    const plan = readExportFile(Buffer.from(await exportOf(source, id)));
    const target = await h.open();
    // A message of the file already exists in another conversation: the import is refused whole.
    const other = await h.conv('other', root);
    await h.tx((t) => t.insertMessage({ ...plan.messages[1], conversationId: other.id }));
    const seq = await target.lastSeq();
    const conflict = (e: unknown) => e instanceof AppError && e.code === 'import_conflict';
    await assert.rejects(importConversation(target, plan, [root]), conflict);
    assert.equal(await target.lastSeq(), seq);
    assert.equal(await target.getConversation(id), null);
    assert.deepEqual(await target.listMessages(id), []);
    assert.deepEqual(await target.listSessions(id), []);

    await h.open();
    assert.equal((await importConversation(h.store, plan, [root])).status, 201);
    // The imported conversation moves on: the old file no longer matches it, and is refused.
    await h.tx(async (t) => {
      const c = await t.getConversation(id);
      assert.ok(c);
      await recordConversationUpdated(t, { ...c, title: 'renamed', version: c.version + 1 });
    });
    const after = await h.store.lastSeq();
    await assert.rejects(importConversation(h.store, plan, [root]), conflict);
    assert.equal(await h.store.lastSeq(), after);
    assert.equal((await h.store.getConversation(id))?.title, 'renamed');
  });

  test('two imports of one file at once make one conversation: one 201, one 200', async () => {
    const source = await h.open();
    const id = await busyConversation(h);
    const file = await exportOf(source, id);
    const target = await h.open();
    const other = await h.reopen();
    const results = await Promise.all([
      importConversation(target, readExportFile(Buffer.from(file)), [root]),
      importConversation(other, readExportFile(Buffer.from(file)), [root]),
    ]);
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 201]);
    assert.deepEqual(exportedEvents(await exportOf(target, id)), exportedEvents(file));
  });
}
