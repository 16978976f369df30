// The seams between the HTTP layer and the agents area. The agents area may extend these.

/** How to start one agent. */
export interface AgentSpec {
  id: string;
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
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
  source: 'builtin' | 'path' | 'file';
}

export interface AgentRegistry {
  list(): AgentInfo[];
  get(id: string): AgentSpec | undefined;
  /** True when the id names an agent (available or not). */
  has(id: string): boolean;
  /** Records what an agent said in `initialize` (version, capabilities) for list(). Optional. */
  noteInitialized?(
    id: string,
    init: { agentCapabilities?: unknown; agentInfo?: { version?: string } | null },
  ): void;
}

/** Drives pending sessions through agents. Coordinates with the HTTP layer only through the store. */
export interface Runner {
  start(): void;
  /** A session was created: look for work now instead of at the next poll. */
  wake(): void;
  stop(): Promise<void>;
}
