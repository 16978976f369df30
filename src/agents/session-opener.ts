import { openAgentSession } from '../commands/agent-settings.ts';
import { appendIdleOutput } from '../commands/runner.ts';
import { errors } from '../domain/errors.ts';
import type { Store } from '../store/types.ts';
import type { AgentHost } from './acp-host.ts';
import { AgentFault } from './faults.ts';
import type { HostPool } from './host-pool.ts';
import type { AgentLog } from './log.ts';
import { applyWanted, openedUpdates } from './session-open.ts';
import type { AgentRegistry } from './types.ts';
import { mapSessionUpdate } from './update-mapper.ts';

// Opening a conversation's agent session before its first message (POST …/agent-session, CONTRACT
// section 11): the agent process starts and its ACP session opens (session/new, or load/resume of the
// stored one) without a prompt, so the modes, config options and commands it offers are recorded in
// the conversation's settings and can be chosen before anything is sent; a remembered choice is
// applied at once. The process then waits, idle, for the first turn (host-pool.ts), which finds the
// session open and sends the prompt. The conversation counts as busy meanwhile, so no turn of it
// starts while its session opens, and a conversation whose turn runs (here or on another instance) is
// left to that turn.

export interface OpenerDeps {
  store: Store;
  agents: AgentRegistry;
  pool: HostPool;
  log: AgentLog;
  /** Conversations a turn or an opening holds on this runner. */
  busy: Set<string>;
  /** Called when the conversation is free again (its queued turn may start). */
  released(): void;
}

export function sessionOpener(d: OpenerDeps): (conversationId: string) => Promise<void> {
  return async (conversationId) => {
    const c = await d.store.getConversation(conversationId);
    if (!c) throw errors.notFound('Conversation');
    if (d.busy.has(conversationId)) return;
    const latest = await d.store.latestSession(conversationId);
    if (latest && (latest.status === 'pending' || latest.status === 'processing')) return;
    const spec = d.agents.get(c.agentId);
    if (!spec) throw errors.unknownAgent(c.agentId);
    d.busy.add(conversationId);
    let host: AgentHost | null = null;
    try {
      host = await d.pool.acquire(conversationId, c.cwd, spec);
      if (!host.acpSessionId) {
        const opened = await host.openSession(c.acpSessionId);
        const events = openedUpdates(opened).map(mapSessionUpdate);
        const h = host;
        const wanted = await d.store.transaction(async (tx) => {
          await appendIdleOutput(tx, { conversationId, events });
          return openAgentSession(tx, {
            conversationId,
            acpSessionId: opened.acpSessionId,
            modes: opened.modes,
            configOptions: h.configOptions,
          });
        });
        await applyWanted(host, wanted);
      }
      d.agents.noteSignIn?.(spec.id, false);
      d.pool.release(host, true);
    } catch (err) {
      if (host) d.pool.release(host, false);
      if (!(err instanceof AgentFault)) throw err;
      d.log.info({ conversationId, agent: spec.id, err: err.message }, 'could not open the agent session');
      if (err.kind === 'auth_required') {
        d.agents.noteSignIn?.(spec.id, true);
        throw errors.authRequired(spec.name);
      }
      throw errors.agentFailed(err.message);
    } finally {
      d.busy.delete(conversationId);
      d.released();
    }
  };
}
