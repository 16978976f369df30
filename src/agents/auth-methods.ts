import type { AgentSpec, AuthMethodInfo, PromptCapabilities } from './types.ts';

// What an agent's `initialize` answer says about signing in and prompts, as GET /api/agents shows it.
// Parsed from raw JSON like the rest of what agents send: an odd entry is dropped, never fatal.

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

/** A shell-safe rendering of one argument, for the command line a person copies. */
function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(
  command: string,
  args: readonly string[],
  env: Record<string, string> = {},
): string {
  const vars = Object.entries(env).map(([k, v]) => `${k}=${quote(v)}`);
  return [...vars, quote(command), ...args.map(quote)].join(' ');
}

/**
 * The agent's sign-in methods. A terminal method (ACP `type: "terminal"`) runs the agent's own
 * command with the method's extra arguments and variables (or, with Claude's `_meta["terminal-auth"]`
 * convention, the command it names): that exact command line is given for a person to run.
 */
export function parseAuthMethods(raw: unknown, spec: Pick<AgentSpec, 'command' | 'args'>): AuthMethodInfo[] {
  if (!Array.isArray(raw)) return [];
  const out: AuthMethodInfo[] = [];
  for (const m of raw) {
    if (!isObject(m) || !str(m.id)) continue;
    const info: AuthMethodInfo = {
      id: m.id as string,
      name: str(m.name) ?? (m.id as string),
      description: str(m.description),
      type: str(m.type) ?? 'agent',
    };
    if (info.type === 'terminal') {
      const meta = isObject(m._meta) && isObject(m._meta['terminal-auth']) ? m._meta['terminal-auth'] : null;
      const strings = (v: unknown) =>
        Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
      const env: Record<string, string> = {};
      if (isObject(m.env)) for (const [k, v] of Object.entries(m.env)) if (typeof v === 'string') env[k] = v;
      const command = (meta && str(meta.command)) ?? spec.command;
      const args = meta && str(meta.command) ? strings(meta.args) : [...spec.args, ...strings(m.args)];
      info.terminal = { command, args, env, commandLine: commandLine(command, args, env) };
    }
    out.push(info);
  }
  return out;
}

/** ACP `promptCapabilities` of an `agentCapabilities` value; all false when absent (ACP's default). */
export function promptCapabilitiesOf(agentCapabilities: unknown): PromptCapabilities {
  const p =
    isObject(agentCapabilities) && isObject(agentCapabilities.promptCapabilities)
      ? agentCapabilities.promptCapabilities
      : {};
  return { image: p.image === true, audio: p.audio === true, embeddedContext: p.embeddedContext === true };
}
