// Signing agents in and the remembered approvals (docs/CONTRACT.md section 11, "Signing agents in"
// and "Approvals"): the calls and the wire types the client's Agent and Conversation types leave
// out. Kept beside the REST client rather than in it so that it only adds.

import { Api } from '../net/api';
import { setConversation } from '../state/conversation';
import { upsert } from '../state/conversations';
import type { Agent, Conversation } from '../types';
import type { Client } from './client';

/** A way an agent can be signed in (`authMethods[]` of GET /api/agents). */
export interface AuthMethod {
  id: string;
  name: string;
  description: string | null;
  /** `agent`: gmgui runs it; `terminal`: a person runs `terminal.commandLine` on the server. */
  type: string;
  terminal?: { command: string; args: string[]; env: Record<string, string>; commandLine: string };
}

/** An agent entry with what it said about signing in (absent fields: an older server, or not started yet). */
export interface AgentWithAuth extends Agent {
  authMethods?: AuthMethod[];
  /** true: it refused a session for want of signing in; false: it worked; null: not known yet. */
  needsSignIn?: boolean | null;
}

/** An "always allow" answer remembered for one conversation. */
export interface PermissionRule {
  id: string;
  conversationId: string;
  conversationTitle: string | null;
  key: string;
  label: string;
}

/** How long a sign-in may take: a method may wait for a person in a browser (the server allows 5 minutes). */
const SIGN_IN_TIMEOUT_MS = 5 * 60_000 + 15_000;
/** A probe starts each unknown agent (up to 20 s each on the server). */
const PROBE_TIMEOUT_MS = 90_000;

/** A client for calls that outlast the shared one's 20 s limit. */
function patientApi(client: Client, timeoutMs: number): Api {
  return new Api({ base: client.base, onUnauthorized: () => client.signedOut(), timeoutMs });
}

export function withAuth(a: Agent): AgentWithAuth {
  return a as AgentWithAuth;
}

/** Why this agent cannot be used now, in words; null when it can. */
export function whyNot(a: AgentWithAuth): string | null {
  if (!a.available) return a.reason ?? 'Not installed';
  if (a.needsSignIn === true) return 'Needs sign-in';
  return null;
}

/**
 * Asks the server to start the agents whose sign-in state is unknown and say what they need
 * (GET /api/agents?probe=1); the app's agent list then carries it. Failures leave the list as it was.
 */
export async function probeAgents(client: Client): Promise<void> {
  try {
    const api = patientApi(client, PROBE_TIMEOUT_MS);
    const { agents } = await api.call<{ agents: Agent[] }>('GET', 'api/agents?probe=1');
    client.store.set({ agents, agentsError: '' });
  } catch {
    // The plain list is still shown; only the sign-in hints are missing.
  }
}

/** Runs the agent's ACP `authenticate` with one of its methods; the answer is its updated entry. */
export async function authenticate(
  client: Client,
  agentId: string,
  methodId: string,
): Promise<AgentWithAuth> {
  const { agent } = await patientApi(client, SIGN_IN_TIMEOUT_MS).call<{ agent: Agent }>(
    'POST',
    `api/agents/${encodeURIComponent(agentId)}/authenticate`,
    { methodId },
  );
  client.store.set((s) => ({
    agents: s.agents ? s.agents.map((a) => (a.id === agent.id ? agent : a)) : s.agents,
  }));
  return withAuth(agent);
}

export async function listRules(client: Client): Promise<PermissionRule[]> {
  const { rules } = await client.api.call<{ rules: PermissionRule[] }>('GET', 'api/permissions/rules');
  return rules;
}

export async function deleteRule(client: Client, ruleId: string): Promise<Conversation> {
  const { conversation } = await client.api.call<{ conversation: Conversation }>(
    'DELETE',
    `api/permissions/rules/${encodeURIComponent(ruleId)}`,
  );
  applyConversation(client, conversation);
  return conversation;
}

/** The conversation's auto-approve switch (`settings.autoApprove`, CONTRACT section 8). */
export function autoApproveOf(c: Conversation | null | undefined): boolean {
  const settings = c?.settings as { autoApprove?: unknown } | undefined;
  return settings?.autoApprove === true;
}

export async function setAutoApprove(
  client: Client,
  conversationId: string,
  on: boolean,
): Promise<Conversation> {
  const { conversation } = await client.api.call<{ conversation: Conversation }>(
    'POST',
    `api/conversations/${encodeURIComponent(conversationId)}`,
    { settings: { autoApprove: on } },
  );
  applyConversation(client, conversation);
  return conversation;
}

/** What the server answered, shown at once (the `conversation_updated` event follows for other tabs). */
function applyConversation(client: Client, conversation: Conversation): void {
  client.store.set((s) => ({
    list: upsert(s.list, conversation),
    view: s.view?.id === conversation.id ? setConversation(s.view, conversation) : s.view,
  }));
}
