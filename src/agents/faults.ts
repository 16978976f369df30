import * as acp from '@agentclientprotocol/sdk';

// Everything that can go wrong with an agent process, each with a sentence a user understands.
// The runner turns an AgentFault into a session `error` whose text is `message`.

export type FaultKind =
  | 'not_configured'
  | 'missing_binary'
  | 'missing_folder'
  | 'spawn_failed'
  | 'exited_at_start'
  | 'crashed'
  | 'silent'
  | 'not_acp'
  | 'message_too_large'
  | 'too_much_output'
  | 'protocol_error'
  | 'agent_error'
  | 'auth_required'
  | 'stopped';

/** ACP's error code for "authentication required" (RequestError.authRequired). */
export const AUTH_REQUIRED_CODE = -32000;

export class AgentFault extends Error {
  constructor(
    readonly kind: FaultKind,
    message: string,
    /** The agent's own words, when it answered with an error. */
    readonly agentMessage?: string,
  ) {
    super(message);
    this.name = 'AgentFault';
  }
}

/** The last meaningful line of an agent's stderr, short enough to quote in a sentence. */
export function stderrHint(tail: string): string {
  const lines = tail
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const last = lines.at(-1);
  if (!last) return '';
  const clipped = last.length > 300 ? `${last.slice(0, 300)}…` : last;
  return ` Its last words: "${clipped}"`;
}

export function describeExit(code: number | null, signal: string | null): string {
  if (signal) return `was killed by signal ${signal}`;
  if (code === null) return 'stopped';
  return `exited with code ${code}`;
}

/** A size limit in words: "8 MiB", "256 KiB", "1.5 MiB", "1000 bytes". */
export function formatBytes(n: number): string {
  const unit = (size: number, name: string) => {
    const v = n / size;
    return `${Number.isInteger(v) ? v : Math.round(v * 10) / 10} ${name}`;
  };
  if (n >= 1024 * 1024) return unit(1024 * 1024, 'MiB');
  if (n >= 1024) return unit(1024, 'KiB');
  return `${n} bytes`;
}

/** Printable sample of something that is not ACP, for the error sentence. */
export function sample(text: string, max = 80): string {
  const printable = text.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > max ? `${printable.slice(0, max)}…` : printable;
}

/** An error answer from the agent (or a broken response) in words a user understands. */
export function toAgentFault(name: string, err: unknown): AgentFault {
  if (err instanceof AgentFault) return err;
  if (err instanceof acp.RequestError && err.code === AUTH_REQUIRED_CODE) {
    return new AgentFault(
      'auth_required',
      `The agent "${name}" needs you to sign in (${err.message}). Sign it in, then retry.`,
      err.message,
    );
  }
  if (err instanceof acp.RequestError) {
    const detail =
      typeof err.data === 'object' && err.data && 'details' in err.data
        ? ` (${String((err.data as { details: unknown }).details)})`
        : '';
    return new AgentFault(
      'agent_error',
      `The agent "${name}" reported an error: ${err.message}${detail}`,
      `${err.message}${detail}`,
    );
  }
  const msg = err instanceof Error ? err.message : String(err);
  return new AgentFault(
    'protocol_error',
    `The agent "${name}" answered in a way gmgui could not understand: ${msg}`,
  );
}
