import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  createConversation,
  deleteConversation,
  updateConversation,
} from '../../src/commands/conversations.ts';
import { fingerprint, idempotent } from '../../src/commands/idempotency.ts';
import { retrySession, sendMessage } from '../../src/commands/messages.ts';
import { recordPermissionRequest, resolvePermission } from '../../src/commands/permissions.ts';
import { recoverSessions } from '../../src/commands/recovery.ts';
import {
  appendAgentOutput,
  claimNextSession,
  finishTurn,
  LeaseLost,
  markPromptSent,
  releaseSession,
  setAcpSessionId,
} from '../../src/commands/runner.ts';
import { requestCancel } from '../../src/commands/runner-cancel.ts';
import { AppError } from '../../src/domain/errors.ts';
import { emptyState, evolve, rebuildFromLog, toTables } from '../../src/domain/rebuild.ts';
import type { StoredEvent } from '../../src/domain/types.ts';
import { openTempSqliteStore } from '../helpers/temp-store.ts';
import type { Store, Tx } from '../../src/store/types.ts';

// The audit trail is real: a random workload of every command that changes conversations, messages
// and sessions runs through the real SQLite store (commands in concurrent groups, so group commit and
// per-command rollback are exercised), then the tables rebuilt from the log alone must equal the
// store's tables field by field.

const RUNNER = 'runner-1';

const pick = fc.nat(1000);
const text = fc.string({ maxLength: 12 });
const op = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('create' as const),
      agent: fc.constantFrom('demo', 'other'),
      title: text,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('update' as const),
      conv: pick,
      title: fc.option(text, { nil: undefined }),
      status: fc.option(fc.constantFrom('active' as const, 'archived' as const), { nil: undefined }),
      autoApprove: fc.option(fc.boolean(), { nil: undefined }),
      ifMatch: fc.constantFrom('none', 'current', 'stale'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), conv: pick }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('send' as const),
      conv: pick,
      unknownConv: fc.nat(7).map((n) => n === 0),
      content: fc.string({ minLength: 1, maxLength: 20 }),
      key: fc.option(fc.constantFrom('k0', 'k1', 'k2'), { nil: null }),
      folder: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('claim' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('promptSent' as const), sess: pick }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('output' as const),
      sess: pick,
      n: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('acp' as const),
      conv: pick,
      id: fc.constantFrom('acp-a', 'acp-b'),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('finish' as const),
      sess: pick,
      outcome: fc.constantFrom('completed', 'cancelled', 'error', 'interrupted'),
      text,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), sess: pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), sess: pick }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('retry' as const),
      sess: pick,
      key: fc.option(fc.constantFrom('r0', 'r1'), { nil: null }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('permission' as const), sess: pick, always: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('recover' as const) }) },
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

/** Ids seen so far, for ops to aim at (existing ones mostly, deleted ones sometimes). */
interface Known {
  convs: string[];
  sessions: string[];
  /** Sessions this runner claimed: what the runner's own commands aim at. */
  claimed: string[];
}

const at = (list: string[], i: number, fallback: string) => (list.length ? list[i % list.length] : fallback);

async function runOp(store: Store, known: Known, o: Op, now: () => number): Promise<void> {
  const tx = <T>(fn: (t: Tx) => Promise<T>) => store.transaction(fn);
  switch (o.kind) {
    case 'create': {
      const c = await tx((t) => createConversation(t, { agentId: o.agent, title: o.title, cwd: '/work/x' }));
      known.convs.push(c.id);
      return;
    }
    case 'update': {
      const id = at(known.convs, o.conv, 'conv_none');
      await tx(async (t) => {
        const cur = await t.getConversation(id);
        const ifMatch =
          o.ifMatch === 'none' || !cur ? null : o.ifMatch === 'current' ? cur.version : cur.version + 1;
        const settings = o.autoApprove === undefined ? undefined : { autoApprove: o.autoApprove };
        return updateConversation(t, id, { title: o.title, status: o.status, settings }, ifMatch);
      });
      return;
    }
    case 'delete':
      await tx((t) => deleteConversation(t, at(known.convs, o.conv, 'conv_none')));
      return;
    case 'send': {
      const cid = o.unknownConv ? 'conv_unknown' : at(known.convs, o.conv, 'conv_none');
      const payload = { content: o.content, folderContext: o.folder ? { path: '/work/x' } : undefined };
      const idem = o.key
        ? { scope: `messages:${cid}`, key: o.key, fingerprint: fingerprint(payload), expiredBefore: 0 }
        : null;
      const r = await tx((t) =>
        idempotent(t, idem, async () => ({ status: 201, body: await sendMessage(t, cid, payload) })),
      );
      if (!r.replayed) known.sessions.push(JSON.parse(r.body).session.id);
      return;
    }
    case 'claim': {
      const c = await tx((t) =>
        claimNextSession(t, { owner: RUNNER, leaseMs: 60_000, skipConversations: new Set() }),
      );
      if (c) known.claimed.push(c.session.id);
      return;
    }
    case 'promptSent':
      await tx((t) =>
        markPromptSent(t, { sessionId: at(known.claimed, o.sess, 'sess_none'), owner: RUNNER }),
      );
      return;
    case 'output': {
      const events = Array.from({ length: o.n }, (_, i) => ({ type: 'text_delta' as const, text: `t${i}` }));
      await tx((t) =>
        appendAgentOutput(t, { sessionId: at(known.claimed, o.sess, 'sess_none'), owner: RUNNER, events }),
      );
      return;
    }
    case 'acp':
      await tx((t) =>
        setAcpSessionId(t, { conversationId: at(known.convs, o.conv, 'conv_none'), acpSessionId: o.id }),
      );
      return;
    case 'finish': {
      const outcome =
        o.outcome === 'completed' || o.outcome === 'cancelled'
          ? {
              kind: o.outcome,
              stopReason: o.outcome === 'completed' ? 'end_turn' : 'cancelled',
              text: o.text,
              blocks: [],
            }
          : { kind: o.outcome, error: `failed: ${o.text}` };
      await tx((t) =>
        finishTurn(t, {
          sessionId: at(known.claimed, o.sess, 'sess_none'),
          owner: RUNNER,
          events: [{ type: 'text_delta', text: o.text }],
          outcome,
        }),
      );
      return;
    }
    case 'release':
      await tx((t) =>
        releaseSession(t, { sessionId: at(known.claimed, o.sess, 'sess_none'), owner: RUNNER }),
      );
      return;
    case 'cancel':
      await tx((t) => requestCancel(t, at([...known.claimed, ...known.sessions], o.sess, 'sess_none')));
      return;
    case 'retry': {
      // Claimed sessions first: those are the ones that can have ended in error, cancelled or interrupted.
      const sid = at([...known.claimed, ...known.sessions], o.sess, 'sess_none');
      const idem = o.key
        ? { scope: `retry:${sid}`, key: o.key, fingerprint: fingerprint({}), expiredBefore: 0 }
        : null;
      const r = await tx((t) =>
        idempotent(t, idem, async () => ({ status: 201, body: { session: await retrySession(t, sid) } })),
      );
      if (!r.replayed) known.sessions.push(JSON.parse(r.body).session.id);
      return;
    }
    case 'permission': {
      const sid = at(known.claimed, o.sess, 'sess_none');
      await tx(async (t) => {
        const s = await t.getSession(sid);
        if (!s) throw new AppError(404, 'not_found', 'no session');
        const requestId = `p${now()}${Math.random()}`;
        const options = [
          { optionId: 'once', name: 'Allow', kind: 'allow_once' },
          { optionId: 'always', name: 'Always', kind: 'allow_always' },
        ];
        await recordPermissionRequest(t, {
          requestId,
          sessionId: sid,
          conversationId: s.conversationId,
          toolCall: { kind: 'edit', title: 'Edit a file' },
          options,
        });
        const p = await t.getPermission(sid, requestId);
        // Answering "always" changes the conversation's settings: a conversation_updated to rebuild.
        if (p?.status === 'pending')
          await resolvePermission(t, { sessionId: sid, requestId, optionId: o.always ? 'always' : 'once' });
      });
      return;
    }
    case 'recover':
      await recoverSessions(store, { now: now(), instanceId: 'a-later-process', othersAreDead: true });
      return;
  }
}

/** Expected refusals (404, 409, 412, 422, a lost lease) roll their command back; anything else is a bug. */
function expected(e: unknown): boolean {
  return e instanceof AppError || e instanceof LeaseLost;
}

async function allEvents(store: Store): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for (;;) {
    const page = await store.readEvents({ after: out.length ? out[out.length - 1].seq : 0, limit: 1000 });
    out.push(...page);
    if (page.length < 1000) return out;
  }
}

async function assertRebuildMatches(store: Store): Promise<StoredEvent[]> {
  const events = await allEvents(store);
  const rebuilt = toTables(rebuildFromLog(events));
  const tables = await store.dumpTables();
  for (const name of ['conversations', 'messages', 'sessions'] as const) {
    const want = new Map(tables[name].map((r) => [r.id, r]));
    const got = new Map(rebuilt[name].map((r) => [r.id, r]));
    for (const [id, row] of want)
      assert.deepStrictEqual(got.get(id), row, `${name} ${id}: rebuilt differs from the table`);
    for (const id of got.keys()) assert.ok(want.has(id), `${name} ${id}: in the log, not in the table`);
    assert.deepStrictEqual(
      rebuilt[name].map((r) => r.id),
      tables[name].map((r) => r.id),
      `${name}: same order`,
    );
  }
  return events;
}

describe('rebuild from the log', () => {
  test('random workloads through the real SQLite store: rebuilt tables equal the stored ones', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(op, fc.integer({ min: 1, max: 4 })), { minLength: 10, maxLength: 60, size: 'max' }),
        async (rest) => {
          // Two conversations first, so that most later commands have something to act on.
          const plan: Array<[Op, number]> = [
            [{ kind: 'create', agent: 'demo', title: 'a' }, 1],
            [{ kind: 'create', agent: 'other', title: 'b' }, 1],
            ...rest,
          ];
          const store = openTempSqliteStore('gmgui-rebuild-');
          const known: Known = { convs: [], sessions: [], claimed: [] };
          try {
            // Groups of 1–4 commands run concurrently: one batch, each in its own savepoint.
            let i = 0;
            while (i < plan.length) {
              const size = plan[i][1];
              const group = plan.slice(i, i + size).map(([o]) => o);
              i += size;
              const results = await Promise.allSettled(group.map((o) => runOp(store, known, o, Date.now)));
              for (const r of results) if (r.status === 'rejected' && !expected(r.reason)) throw r.reason;
            }
            const events = await assertRebuildMatches(store);
            // rebuildFromLog is the fold of evolve.
            assert.deepStrictEqual(
              toTables(events.reduce(evolve, emptyState())),
              toTables(rebuildFromLog(events)),
            );
          } finally {
            await store.close();
          }
        },
      ),
      { numRuns: Number(process.env.GMGUI_REBUILD_RUNS ?? 40) },
    );
  });

  test('evolve is pure: the state it is given does not change', () => {
    const c = {
      id: 'conv_1',
      agentId: 'demo',
      title: 't',
      cwd: '/w',
      status: 'active' as const,
      version: 1,
      settings: { autoApprove: false, allowAlways: [] },
      acpSessionId: null,
      created_at: 1,
      updated_at: 1,
    };
    const s0 = emptyState();
    const s1 = evolve(s0, {
      seq: 1,
      type: 'conversation_created',
      conversationId: 'conv_1',
      sessionId: null,
      created_at: 1,
      conversation: c,
    });
    assert.equal(s0.conversations.size, 0);
    const s2 = evolve(s1, {
      seq: 2,
      type: 'conversation_deleted',
      conversationId: 'conv_1',
      sessionId: null,
      created_at: 2,
    });
    assert.equal(s1.conversations.size, 1);
    assert.equal(s2.conversations.size, 0);
  });

  test('a log out of seq order or missing a snapshot is refused, not silently misread', () => {
    assert.throws(() =>
      rebuildFromLog([
        { seq: 2, type: 'text_delta', conversationId: 'c', sessionId: null, created_at: 1 },
        { seq: 1, type: 'text_delta', conversationId: 'c', sessionId: null, created_at: 1 },
      ]),
    );
    assert.throws(
      () =>
        rebuildFromLog([
          { seq: 1, type: 'session_created', conversationId: 'c', sessionId: 's', created_at: 1 },
        ]),
      /seq 1/,
    );
  });
});
