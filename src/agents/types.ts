// The seams between the HTTP layer and the agents area. The agents area may extend these.

import type { AgentSessions } from '../agent-sessions/agent-sessions.ts';
import type { McpServerConfig } from './mcp-servers.ts';

/** How to start one agent. */
export interface AgentSpec {
  id: string;
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  /** gmgui's own variables (GMGUI_*, DATABASE_URL, …) this agent is given anyway (agent-process.ts). */
  passEnv?: string[];
  /** MCP servers for its sessions: GMGUI_MCP_FILE's, then its own entry's (mcp-servers.ts). */
  mcpServers?: McpServerConfig[];
}

/** One way to sign an agent in (ACP `AuthMethod`), as GET /api/agents shows it. */
export interface AuthMethodInfo {
  id: string;
  name: string;
  description: string | null;
  /** `agent` (POST /api/agents/{id}/authenticate runs it) or `terminal` (a person runs `terminal`). */
  type: string;
  /** For a terminal method: the exact command to run in a terminal on the server. */
  terminal?: { command: string; args: string[]; env: Record<string, string>; commandLine: string };
}

/** What the agent can take in a prompt (ACP `promptCapabilities`). */
export interface PromptCapabilities {
  image: boolean;
  audio: boolean;
  embeddedContext: boolean;
}

/** What GET /api/agents shows for one agent. */
export interface AgentInfo {
  id: string;
  name: string;
  available: boolean;
  /** Why it is not available, in words a user understands. */
  reason?: string;
  /** How to install it, when not available. */
  install?: string;
  version?: string;
  /** Set once the agent has answered `initialize`. */
  capabilities?: unknown;
  /** Its sign-in methods, once it has answered `initialize` (empty: it offers none). */
  authMethods?: AuthMethodInfo[];
  /**
   * True when it refused to open a session until signed in (ACP auth_required), false once it opened
   * one (or signed in); null while unknown (GET /api/agents?probe=1 finds out).
   */
  needsSignIn: boolean | null;
  source: 'builtin' | 'path' | 'file';
}

/** The subset of an ACP `initialize` answer the registry keeps. */
export interface InitInfo {
  agentCapabilities?: unknown;
  agentInfo?: { version?: string } | null;
  authMethods?: unknown;
}

export interface AgentRegistry {
  list(): AgentInfo[];
  get(id: string): AgentSpec | undefined;
  /** True when the id names an agent (available or not). */
  has(id: string): boolean;
  /** Records what an agent said in `initialize` (version, capabilities, sign-in methods). Optional. */
  noteInitialized?(id: string, init: InitInfo): void;
  /** Records whether the agent needs signing in (it refused a session, or opened one). Optional. */
  noteSignIn?(id: string, needsSignIn: boolean): void;
  /** The info of one agent. Optional. */
  info?(id: string): AgentInfo | undefined;
}

/** Drives pending sessions through agents. Coordinates with the HTTP layer only through the store. */
export interface Runner {
  start(): void;
  /** A session was created: look for work now instead of at the next poll. */
  wake(): void;
  stop(): Promise<void>;
  /**
   * Opens the conversation's agent session without a prompt (POST …/agent-session), so its modes,
   * config options and commands are known and settable before the first message. Throws an AppError.
   */
  openSession?(conversationId: string): Promise<void>;
  /** ACP `authenticate` with one of the agent's methods (POST /api/agents/{id}/authenticate). */
  authenticate?(agentId: string, methodId: string): Promise<void>;
  /** Starts the agents whose sign-in state is unknown to find it out (GET /api/agents?probe=1). */
  probeAgents?(): Promise<void>;
  /** What the agent takes in a prompt; starts it once to ask when not known yet. */
  promptCapabilities?(agentId: string): Promise<PromptCapabilities>;
  /** The agent's own sessions and forks (src/agent-sessions/, CONTRACT "The agent's own sessions"). */
  agentSessions?(): AgentSessions;
}
