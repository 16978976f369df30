import { type IdempotencyRequest, type Reply, idempotent } from '../commands/idempotency.ts';
import type { Config } from '../config.ts';
import { errors } from '../domain/errors.ts';
import { within } from '../domain/paths.ts';
import type { Conversation } from '../domain/types.ts';
import type { AgentLog } from '../agents/log.ts';
import type { AgentRegistry, AgentSpec } from '../agents/types.ts';
import type { Store } from '../store/types.ts';
import { abilitiesOf, isRefusal, withSessionHost } from './agent-process.ts';
import { turnsOfMessages, turnsOfReplay } from './history.ts';
import { importHistory, recordHistoryConversation } from './record-history.ts';

// The agent's own sessions (CONTRACT "The agent's own sessions and forks"): listing them (ACP session/list), importing one as
// a conversation (session/load, whose replayed history is captured and stored in one transaction, or
// session/resume), deleting one (session/delete), and forking a conversation (session/fork where the
// agent offers it and the fork point is the end of the conversation, else a fresh agent session).
// Each asks a process of the agent started for it (agent-process.ts). An imported conversation keeps
// the agent's session id, so its next turn loads that session (src/agents/acp-host.ts) and goes on in
// it; the history the agent replays then is recognised as stored (src/agents/replay-filter.ts).

export interface AgentSessionInfo {
  sessionId: string;
  cwd: string;
  title: string | null;
  updatedAt: string | null;
  /** The conversation bound to this agent session (imported, or started by gmgui), when one is. */
  conversationId: string | null;
}

export interface AgentSessionPage {
  sessions: AgentSessionInfo[];
  nextCursor: string | null;
}

export interface ImportResult {
  conversation: Conversation;
  created: boolean;
  /** How the agent gave the session back: `loaded` (with its history) or `resumed` (without). */
  how?: 'loaded' | 'resumed';
  messages: number;
}

export interface ForkRequest {
  conversationId: string;
  messageId: string;
  title?: string;
  idem: IdempotencyRequest | null;
}

const LIST_MS = 60_000;
const IMPORT_MS = 5 * 60_000;
/** After the load is answered, replay that still comes (Gemini CLI streams it afterwards) until this quiet. */
const REPLAY_QUIET_MS = 300;
const REPLAY_LATE_MAX_MS = 5_000;

type Json = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export class AgentSessions {
  constructor(private readonly d: { config: Config; store: Store; agents: AgentRegistry; log: AgentLog }) {}

  private spec(agentId: string): AgentSpec {
    const spec = this.d.agents.get(agentId);
    if (!spec) throw errors.notFound(`The agent "${agentId}"`);
    return spec;
  }

  /** Conversation ids by the agent session they are bound to, for one agent. */
  private async bound(agentId: string): Promise<Map<string, string>> {
    const map = new Map<string, string>();
    for (const c of await this.d.store.listConversations())
      if (c.agentId === agentId && c.acpSessionId) map.set(c.acpSessionId, c.id);
    return map;
  }

  /** One page of the agent's sessions in `cwd` (a real folder inside the roots). */
  async list(agentId: string, q: { cwd: string; cursor?: string }): Promise<AgentSessionPage> {
    const spec = this.spec(agentId);
    // Known from an earlier start not to list: no process needed to learn it again.
    const caps = this.d.agents.info?.(agentId)?.capabilities;
    if (caps !== undefined && !abilitiesOf(caps).list)
      throw errors.agentSessionsUnsupported(spec.name, 'list its sessions (ACP session/list)');
    const answer = await withSessionHost(this.d, spec, q.cwd, LIST_MS, async ({ host, abilities }) => {
      if (!abilities.list)
        throw errors.agentSessionsUnsupported(spec.name, 'list its sessions (ACP session/list)');
      try {
        return await host.request<Json>('session/list', {
          cwd: q.cwd,
          ...(q.cursor ? { cursor: q.cursor } : {}),
        });
      } catch (err) {
        if (isRefusal(err)) throw errors.agentSessionRefused(spec.name, err.agentMessage ?? err.message);
        throw err;
      }
    });
    const bound = await this.bound(agentId);
    const sessions: AgentSessionInfo[] = [];
    for (const s of Array.isArray(answer.sessions) ? (answer.sessions as unknown[]) : []) {
      const e = (s ?? {}) as Json;
      const sessionId = str(e.sessionId);
      const cwd = str(e.cwd);
      // The agent's answer is untrusted: nothing outside the roots is shown.
      if (!sessionId || !cwd || !this.d.config.roots.some((r) => within(cwd, r))) continue;
      sessions.push({
        sessionId,
        cwd,
        title: str(e.title),
        updatedAt: str(e.updatedAt),
        conversationId: bound.get(sessionId) ?? null,
      });
    }
    return { sessions, nextCursor: str(answer.nextCursor) };
  }

  /**
   * Imports the agent session as a conversation in `cwd`, or returns the conversation already bound
   * to it. Loads it (capturing the replayed history) or, when the agent only resumes, binds it
   * without history. The whole history is written in one transaction.
   */
  async import(
    agentId: string,
    q: { sessionId: string; cwd: string; title?: string },
  ): Promise<ImportResult> {
    const spec = this.spec(agentId);
    const known = (await this.bound(agentId)).get(q.sessionId) ?? null;
    if (known) {
      const conversation = await this.d.store.getConversation(known);
      if (conversation) return { conversation, created: false, messages: 0 };
    }
    const updates: unknown[] = [];
    let bytes = 0;
    let lastUpdate = 0;
    const max = this.d.config.agentMaxTurnOutputBytes;
    const capture = (u: unknown) => {
      lastUpdate = Date.now();
      bytes += JSON.stringify(u ?? null).length;
      if (bytes <= max) updates.push(u);
    };
    const how = await withSessionHost(
      this.d,
      spec,
      q.cwd,
      IMPORT_MS,
      async ({ host, abilities, mcpServers }) => {
        const params = { sessionId: q.sessionId, cwd: q.cwd, mcpServers };
        const method = abilities.load ? 'session/load' : abilities.resume ? 'session/resume' : null;
        if (!method) throw errors.agentSessionsUnsupported(spec.name, 'load or resume its sessions');
        try {
          await host.request(method, params, IMPORT_MS);
        } catch (err) {
          if (isRefusal(err)) throw errors.agentSessionRefused(spec.name, err.agentMessage ?? err.message);
          throw err;
        }
        if (method === 'session/resume') return 'resumed' as const;
        // Some agents stream the replay after answering: wait until it has been quiet for a moment.
        const until = Date.now() + REPLAY_LATE_MAX_MS;
        lastUpdate = Math.max(lastUpdate, Date.now());
        while (Date.now() - lastUpdate < REPLAY_QUIET_MS && Date.now() < until)
          await new Promise((r) => setTimeout(r, 50));
        return 'loaded' as const;
      },
      capture,
    );
    if (bytes > max)
      throw errors.agentFailed(
        `The history of that session is larger than ${max} bytes; it was not imported.`,
      );
    const { turns, title } = turnsOfReplay(updates);
    const firstUser = turns.find((t) => t.user)?.user?.content;
    const fallback = typeof firstUser === 'string' ? firstUser.split('\n')[0]?.slice(0, 80) : undefined;
    const r = await this.d.store.transaction((tx) =>
      importHistory(tx, {
        agentId,
        cwd: q.cwd,
        title: title ?? q.title ?? fallback ?? null,
        titleFromAgent: Boolean(title ?? q.title),
        acpSessionId: q.sessionId,
        known,
        turns,
      }),
    );
    return { ...r, ...(r.created ? { how } : {}) };
  }

  /** Deletes the session from the agent's list (ACP session/delete). */
  async delete(agentId: string, q: { sessionId: string; cwd: string }): Promise<void> {
    const spec = this.spec(agentId);
    await withSessionHost(this.d, spec, q.cwd, LIST_MS, async ({ host, abilities }) => {
      if (!abilities.delete)
        throw errors.agentSessionsUnsupported(spec.name, 'delete its sessions (ACP session/delete)');
      try {
        await host.request('session/delete', { sessionId: q.sessionId });
      } catch (err) {
        if (isRefusal(err)) throw errors.agentSessionRefused(spec.name, err.agentMessage ?? err.message);
        throw err;
      }
    });
  }

  /**
   * A new conversation continuing from `messageId`: the messages up to it copied as history (one
   * transaction). Its agent session is a fork of the conversation's (ACP session/fork) only when that
   * is faithful: the agent offers it, the fork point is the conversation's last message and no turn
   * is running. Otherwise the fork starts a fresh agent session on its first message, and says so.
   */
  async fork(q: ForkRequest): Promise<Reply> {
    const { store } = this.d;
    const c = await store.getConversation(q.conversationId);
    if (!c) throw errors.notFound('Conversation');
    const m = await store.getMessage(q.messageId);
    if (!m || m.conversationId !== c.id) throw errors.notFound('Message');
    const idem = q.idem;
    if (idem) {
      // A repeat must not fork the agent's session again: its stored answer is replayed.
      const prev = await store.transaction((tx) => tx.getIdempotency(idem.scope, idem.key));
      if (prev && prev.created_at >= idem.expiredBefore) {
        if (prev.fingerprint !== idem.fingerprint) throw errors.idempotencyKeyReused();
        return { status: prev.status, body: prev.body, replayed: true };
      }
    }
    const messages = await store.listMessages(c.id);
    const at = messages.findIndex((x) => x.id === m.id);
    const copied = messages.slice(0, at + 1);
    const latest = await store.latestSession(c.id);
    const running = latest?.status === 'pending' || latest?.status === 'processing';
    let reason: string | null = null;
    if (!c.acpSessionId) reason = 'no_agent_session';
    else if (at !== messages.length - 1) reason = 'not_latest';
    else if (running) reason = 'turn_running';
    let forked: string | null = null;
    if (!reason) ({ forked, reason } = await this.forkAgentSession(c));
    const settings = {
      autoApprove: c.settings.autoApprove,
      allowAlways: [...c.settings.allowAlways],
      ...(c.settings.modeId ? { modeId: c.settings.modeId } : {}),
      ...(c.settings.configValues ? { configValues: { ...c.settings.configValues } } : {}),
    };
    return store.transaction((tx) =>
      idempotent(tx, idem, async () => {
        const r = await recordHistoryConversation(tx, {
          agentId: c.agentId,
          cwd: c.cwd,
          title: q.title ?? `${c.title} (fork)`,
          titleFromAgent: false,
          acpSessionId: forked,
          settings,
          turns: turnsOfMessages(copied),
        });
        return {
          status: 201,
          body: {
            conversation: r.conversation,
            forkedAgentSession: forked !== null,
            ...(reason ? { freshReason: reason } : {}),
            messages: r.messages,
            forkedFrom: { conversationId: c.id, messageId: m.id },
          },
        };
      }),
    );
  }

  /** session/fork of the conversation's agent session; null (and why) when the agent cannot. */
  private async forkAgentSession(c: Conversation): Promise<{ forked: string | null; reason: string | null }> {
    const spec = this.d.agents.get(c.agentId);
    if (!spec) return { forked: null, reason: 'agent_unavailable' };
    // Known from an earlier start not to fork: no process needed to learn it again.
    const caps = this.d.agents.info?.(c.agentId)?.capabilities;
    if (caps !== undefined && !abilitiesOf(caps).fork) return { forked: null, reason: 'not_offered' };
    try {
      return await withSessionHost(this.d, spec, c.cwd, LIST_MS, async ({ host, abilities, mcpServers }) => {
        if (!abilities.fork) return { forked: null, reason: 'not_offered' };
        try {
          const r = await host.request<Json>('session/fork', {
            sessionId: c.acpSessionId,
            cwd: c.cwd,
            mcpServers,
          });
          const id = str(r.sessionId);
          return id ? { forked: id, reason: null } : { forked: null, reason: 'refused' };
        } catch (err) {
          if (isRefusal(err)) return { forked: null, reason: 'refused' };
          throw err;
        }
      });
    } catch (err) {
      // A fork never depends on the agent running: without it the fork starts a fresh agent session.
      this.d.log.info({ conversationId: c.id, err: String(err) }, 'could not fork the agent session');
      return { forked: null, reason: 'agent_failed' };
    }
  }
}
