import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { mapSessionUpdate, splitTerminalMeta } from '../../src/agents/update-mapper.ts';
import {
  noteAgentCommands,
  noteAgentConfig,
  noteAgentMode,
  noteAgentTitle,
  openAgentSession,
  requestConfig,
  requestMode,
} from '../../src/commands/agent-settings.ts';
import {
  createConversation,
  deleteConversation,
  updateConversation,
} from '../../src/commands/conversations.ts';
import { retrySession, sendMessage } from '../../src/commands/messages.ts';
import {
  recordPermissionRequest,
  resolvePermission,
  revokeRule,
  ruleId,
} from '../../src/commands/permissions.ts';
import { recoverSessions } from '../../src/commands/recovery.ts';
import { requestCancel } from '../../src/commands/runner-cancel.ts';
import {
  appendAgentOutput,
  appendIdleOutput,
  claimNextSession,
  finishTurn,
  markPromptSent,
  releaseSession,
} from '../../src/commands/runner.ts';
import {
  AGENT_OUTPUT_TYPES,
  LIFECYCLE_TYPES,
  OutputEventSchema,
  isLifecycleType,
  parseEvent,
} from '../../src/domain/events.ts';
import type { StoredEvent } from '../../src/domain/types.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store, Tx } from '../../src/store/types.ts';
import { tempDir } from '../helpers/temp.ts';

// The event vocabulary (src/domain/events.ts) is what is really written and read: every writer's
// events, run through the real SQLite store, parse against the schemas; the ACP update mapper's output
// does for any input; the type lists on the wire are CONTRACT section 5's.

describe('the event vocabulary', () => {
  test('the vocabulary is the one docs/CONTRACT.md gives, lifecycle events as its section 5 lists them', () => {
    const contract = readFileSync(fileURLToPath(new URL('../../docs/CONTRACT.md', import.meta.url)), 'utf8');
    const named = (text: string) => new Set([...text.matchAll(/`([a-z]+(?:_[a-z]+)*)[ `]/g)].map((m) => m[1]));
    const lifecycleLine = /- lifecycle:([\s\S]*?)\n {2}- agent output/.exec(contract)?.[1] ?? '';
    assert.deepEqual(named(lifecycleLine), new Set(LIFECYCLE_TYPES));
    const documented = named(contract);
    for (const type of [...LIFECYCLE_TYPES, ...AGENT_OUTPUT_TYPES])
      assert.ok(documented.has(type), `docs/CONTRACT.md names the event type "${type}"`);
    assert.ok(isLifecycleType('session_updated') && !isLifecycleType('text_delta') && !isLifecycleType('x'));
  });

  test('parseEvent: fields checked per type, the envelope kept, unknown fields dropped', () => {
    const env = { seq: 7, conversationId: 'c', sessionId: 's', created_at: 5 };
    assert.deepEqual(parseEvent({ ...env, type: 'done', stopReason: 'end_turn', extra: 1 }), {
      ok: true,
      event: { type: 'done', stopReason: 'end_turn', ...env },
    });
    const missing = parseEvent({ ...env, type: 'session_created' });
    assert.ok(
      !missing.ok && /seq 7 \(session_created\).*"session"/.test(missing.reason),
      JSON.stringify(missing),
    );
    const wrong = parseEvent({ ...env, type: 'text_delta', text: 3 });
    assert.ok(!wrong.ok && /"text"/.test(wrong.reason));
    const unknown = parseEvent({ ...env, type: 'brand_new' });
    assert.ok(!unknown.ok && /unknown type "brand_new"/.test(unknown.reason));
  });
});

describe('the ACP update mapper writes only what the schemas allow', () => {
  const KINDS = [
    'agent_message_chunk',
    'agent_thought_chunk',
    'user_message_chunk',
    'tool_call',
    'tool_call_update',
    'plan',
    'current_mode_update',
    'config_option_update',
    'available_commands_update',
    'usage_update',
    'session_info_update',
    'notice',
    'compaction_update',
    'compaction_summary_chunk',
    'something_newer',
  ];
  const anyValue = fc.oneof(fc.jsonValue(), fc.constant(undefined));
  // Fields of every shape under the names the mapper reads, plus the names an event itself uses.
  const update = fc.record(
    {
      sessionUpdate: fc.oneof(fc.constantFrom(...KINDS), anyValue),
      content: fc.oneof(fc.record({ type: fc.constantFrom('text', 'image'), text: anyValue }), anyValue),
      toolCallId: anyValue,
      title: anyValue,
      kind: anyValue,
      status: anyValue,
      locations: anyValue,
      entries: anyValue,
      currentModeId: anyValue,
      availableModes: anyValue,
      configOptions: anyValue,
      availableCommands: anyValue,
      rawInput: anyValue,
      used: anyValue,
      severity: anyValue,
      description: anyValue,
      compactionId: anyValue,
      summary: anyValue,
      error: anyValue,
      updatedAt: anyValue,
      _meta: fc.oneof(
        fc.record(
          {
            terminal_output: fc.oneof(fc.record({ terminal_id: anyValue, data: anyValue }), anyValue),
            terminal_output_delta: anyValue,
            terminal_exit: fc.oneof(fc.record({ terminal_id: anyValue, exit_code: anyValue, signal: anyValue }), anyValue),
            other: anyValue,
          },
          { requiredKeys: [] },
        ),
        anyValue,
      ),
      meta: anyValue,
      type: fc.oneof(fc.constantFrom('session_updated', 'done'), anyValue),
    },
    { requiredKeys: [] },
  );

  test('any update, however odd, maps to a valid output event (never a lifecycle one)', () => {
    fc.assert(
      fc.property(fc.oneof(update, anyValue), (u) => {
        const e = mapSessionUpdate(u);
        const r = OutputEventSchema.safeParse(e);
        assert.ok(r.success, `${JSON.stringify(u)} → ${JSON.stringify(e)}: ${r.error?.message}`);
        assert.ok(!isLifecycleType(e.type));
        // The terminal convention of Claude's and Codex's adapters: its events, and what is left.
        const split = splitTerminalMeta(u);
        const rest = split.update === null ? [] : [mapSessionUpdate(split.update)];
        for (const x of [...split.events, ...rest]) {
          const ok = OutputEventSchema.safeParse(x);
          assert.ok(ok.success, `${JSON.stringify(u)} → ${JSON.stringify(x)}: ${ok.error?.message}`);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('an agent cannot pick the type of its usage event', () => {
    const e = mapSessionUpdate({ sessionUpdate: 'usage_update', type: 'session_updated', used: 1, size: 2 });
    assert.deepEqual(e, { type: 'usage', used: 1, size: 2 });
  });
});

describe('every writer in src/commands writes events its schema accepts', () => {
  const OWNER = 'runner-1';

  async function allEvents(store: Store): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    for (;;) {
      const page = await store.readEvents({ after: out.at(-1)?.seq ?? 0, limit: 1000 });
      out.push(...page);
      if (page.length < 1000) return out;
    }
  }

  test('a workload of every command, through the real SQLite store', async () => {
    const store = openSqliteStore({
      file: join(tempDir('gmgui-events-'), 'gmgui.db'),
      synchronous: 'NORMAL',
    });
    const tx = <T>(fn: (t: Tx) => Promise<T>) => store.transaction(fn);
    try {
      const c = await tx((t) => createConversation(t, { agentId: 'demo', cwd: '/w', title: 'a' }));
      await tx((t) => updateConversation(t, c.id, { title: 'b', settings: { autoApprove: false } }, null));
      await tx((t) => requestMode(t, c.id, 'plan'));
      await tx((t) => requestConfig(t, c.id, 'model', 'smart'));
      const sent = await tx((t) => sendMessage(t, c.id, { content: 'hi', idempotencyKey: 'k1' }));
      const claimed = await tx((t) =>
        claimNextSession(t, { owner: OWNER, leaseMs: 60_000, skipConversations: new Set() }),
      );
      assert.equal(claimed?.session.id, sent.session.id);
      const sid = sent.session.id;
      const modes = {
        currentModeId: 'default',
        availableModes: [
          { id: 'default', name: 'D' },
          { id: 'plan', name: 'P' },
        ],
      };
      const model = {
        id: 'model',
        name: 'M',
        type: 'select' as const,
        currentValue: 'fast',
        values: ['fast', 'smart'],
      };
      const wanted = await tx((t) =>
        openAgentSession(t, { conversationId: c.id, acpSessionId: 'acp-1', modes, configOptions: [model] }),
      );
      assert.deepEqual(wanted, { modeId: 'plan', config: [{ configId: 'model', value: 'smart' }] });
      await tx((t) => noteAgentMode(t, { conversationId: c.id, modeId: 'default' }));
      await tx((t) => noteAgentConfig(t, { conversationId: c.id, configOptions: [model] }));
      await tx((t) => noteAgentCommands(t, { conversationId: c.id, availableCommands: [{ name: 'r', description: 'R' }] }));
      // A person titled it: the agent's title does not replace it.
      assert.equal(await tx((t) => noteAgentTitle(t, { conversationId: c.id, title: 'Agent' })), false);
      await tx((t) => markPromptSent(t, { sessionId: sid, owner: OWNER }));
      const output = [
        { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'Hel' } },
        { sessionUpdate: 'tool_call', toolCallId: 't1', title: 'Edit', kind: 'edit' },
        { sessionUpdate: 'tool_call_update', toolCallId: 't1', status: 'completed' },
        { sessionUpdate: 'plan', entries: [] },
        { sessionUpdate: 'usage_update', used: 1, size: 2 },
        { sessionUpdate: 'session_info_update', title: 'T' },
        { sessionUpdate: 'notice', severity: 'info', title: 'N' },
        { sessionUpdate: 'compaction_update', compactionId: 'c', status: 'completed', summary: [] },
        { sessionUpdate: 'compaction_summary_chunk', compactionId: 'c', content: { type: 'text', text: 's' } },
        { sessionUpdate: 'whatever' },
      ].map(mapSessionUpdate);
      output.push(
        ...splitTerminalMeta({
          sessionUpdate: 'tool_call_update',
          toolCallId: 't1',
          _meta: { terminal_output: { terminal_id: 't1', data: 'x' }, terminal_exit: { exit_code: 0 } },
        }).events,
        { type: 'tool_update', toolCallId: 't1', rejected: true },
      );
      await tx((t) => appendAgentOutput(t, { sessionId: sid, owner: OWNER, events: output }));
      const options = [
        { optionId: 'once', name: 'Allow', kind: 'allow_once' },
        { optionId: 'always', name: 'Always', kind: 'allow_always' },
      ];
      const ask = (requestId: string) => ({
        requestId,
        sessionId: sid,
        conversationId: c.id,
        toolCall: { kind: 'edit' },
        options,
      });
      await tx((t) => recordPermissionRequest(t, ask('p1')));
      await tx((t) => resolvePermission(t, { sessionId: sid, requestId: 'p1', optionId: 'always' }));
      // Answered by the remembered "allow always": requested and resolved (automatic) at once.
      assert.deepEqual(await tx((t) => recordPermissionRequest(t, ask('p2'))), { autoOptionId: 'always' });
      await tx((t) =>
        recordPermissionRequest(t, { ...ask('p3'), toolCall: { title: 'Other' }, command: 'ls', paths: ['/w/a'] }),
      );
      await tx(async (t) => revokeRule(t, ruleId(c.id, 'kind:edit'), [(await t.getConversation(c.id))!]));
      await tx((t) => requestCancel(t, sid));
      await tx((t) =>
        finishTurn(t, {
          sessionId: sid,
          owner: OWNER,
          events: [
            mapSessionUpdate({ sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'lo' } }),
          ],
          outcome: { kind: 'completed', stopReason: 'end_turn', text: 'Hello', blocks: [] },
        }),
      );
      await tx((t) =>
        appendIdleOutput(t, {
          conversationId: c.id,
          events: [mapSessionUpdate({ sessionUpdate: 'available_commands_update', availableCommands: [] })],
        }),
      );
      // A failed turn, a released one, an interrupted one, a retry and a queued cancel.
      for (const outcome of ['error', 'release', 'interrupted'] as const) {
        const s = await tx((t) => sendMessage(t, c.id, { content: outcome }));
        await tx((t) => claimNextSession(t, { owner: OWNER, leaseMs: 60_000, skipConversations: new Set() }));
        if (outcome === 'error')
          await tx((t) =>
            finishTurn(t, {
              sessionId: s.session.id,
              owner: OWNER,
              events: [],
              outcome: { kind: 'error', error: 'boom', errorCode: 'auth_required' },
            }),
          );
        else if (outcome === 'release') {
          await tx((t) => releaseSession(t, { sessionId: s.session.id, owner: OWNER }));
          await tx((t) => requestCancel(t, s.session.id));
        } else {
          await tx((t) =>
            claimNextSession(t, { owner: OWNER, leaseMs: 60_000, skipConversations: new Set() }),
          );
          await tx((t) => markPromptSent(t, { sessionId: s.session.id, owner: OWNER }));
          await recoverSessions(store, { now: Date.now(), instanceId: 'later', othersAreDead: true });
          await tx((t) => retrySession(t, s.session.id));
        }
      }
      await tx((t) => deleteConversation(t, c.id));

      const events = await allEvents(store);
      for (const row of events) {
        const r = parseEvent(row);
        assert.ok(r.ok, r.ok ? '' : r.reason);
      }
      const seen = new Set(events.map((e) => e.type));
      for (const type of LIFECYCLE_TYPES) assert.ok(seen.has(type), `the workload wrote ${type}`);
      const updated = events.filter((e) => e.type === 'conversation_updated');
      assert.ok(updated.some((e) => e.modeRequested === 'plan'));
      assert.ok(
        updated.some((e) => JSON.stringify(e.configRequested) === '{"configId":"model","value":"smart"}'),
      );
      assert.ok(events.some((e) => e.type === 'session_updated' && e.cancelRequested === true));
      assert.ok(events.some((e) => e.type === 'permission_resolved' && e.automatic === true));
      assert.ok(events.some((e) => e.type === 'permission_resolved' && e.outcome === 'cancelled'));
      assert.ok(events.some((e) => e.type === 'permission_resolved' && e.decidedBy === 'rule'));
      assert.ok(events.some((e) => e.type === 'permission_resolved' && e.decidedBy === 'user'));
      assert.ok(events.some((e) => e.type === 'error' && e.errorCode === 'auth_required'));
      assert.ok(events.some((e) => e.type === 'permission_requested' && e.command === 'ls'));
    } finally {
      await store.close();
    }
  });
});
