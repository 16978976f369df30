import * as acp from '@agentclientprotocol/sdk';
import type { OutputEventBody } from '../domain/events.ts';
import { type FolderAccess, FsDenied } from './fs-access.ts';
import type { AgentLog } from './log.ts';
import type { AgentTerminals } from './terminals/agent-terminals.ts';

// What gmgui answers when the agent asks something of its client (ACP client methods): a permission
// (handed to the running turn, which stores it and waits for a person), and reads and writes of files
// confined to the conversation folder (fs-access.ts), and commands it runs in client terminals
// (terminals/agent-terminals.ts). Anything the agent sends here is untrusted.

/** Where a running turn receives what the agent sends. Set by the runner for the length of a turn. */
export interface TurnSink {
  onUpdate(update: unknown): void;
  /** An event gmgui made itself for the turn (a client terminal's output). */
  onEvent(e: OutputEventBody): void;
  requestPermission(params: acp.RequestPermissionRequest): Promise<acp.RequestPermissionResponse>;
  /** Before an fs/write_text_file goes through: the turn saves the file as it was (its checkpoint). */
  beforeWrite?(path: string): Promise<void>;
}

/** What the handlers need from the AgentHost that serves the connection. */
export interface ClientContext {
  readonly agentId: string;
  readonly log: AgentLog;
  /** The running turn, if any: without one, a permission request is answered `cancelled`. */
  sink(): TurnSink | null;
  /** The folder the agent may touch; null when the conversation folder is outside the allowed roots. */
  folder(): FolderAccess | null;
  /** The ACP session the connection serves; requests for another are refused. */
  acpSessionId(): string | null;
  /** While a person decides, the agent owes us nothing: the silence watchdog must not count it. */
  waitingOnUser(delta: 1 | -1): void;
  /** The agent's client terminals. */
  readonly terminals: AgentTerminals;
}

export function clientHandlers(ctx: ClientContext): acp.ClientApp {
  return acp
    .client({ name: 'gmgui' })
    .onRequest(acp.methods.client.session.requestPermission, async ({ params }) => {
      const sink = ctx.sink();
      if (!sink) return { outcome: { outcome: 'cancelled' } };
      ctx.waitingOnUser(1);
      try {
        return await sink.requestPermission(params);
      } finally {
        ctx.waitingOnUser(-1);
      }
    })
    .onRequest(acp.methods.client.fs.readTextFile, async ({ params }) => {
      const folder = checkFs(ctx, params.sessionId);
      try {
        return { content: await folder.readTextFile(params.path, params.line, params.limit) };
      } catch (err) {
        throw fsError(err);
      }
    })
    .onRequest(acp.methods.client.fs.writeTextFile, async ({ params }) => {
      const folder = checkFs(ctx, params.sessionId);
      await ctx.sink()?.beforeWrite?.(params.path);
      try {
        await folder.writeTextFile(params.path, params.content);
        return {};
      } catch (err) {
        throw fsError(err);
      }
    })
    .onRequest(acp.methods.client.terminal.create, async ({ params }) => {
      checkSession(ctx, params.sessionId);
      return ctx.terminals.create(params);
    })
    .onRequest(acp.methods.client.terminal.output, ({ params }) => {
      checkSession(ctx, params.sessionId);
      return ctx.terminals.output(params.terminalId);
    })
    .onRequest(acp.methods.client.terminal.waitForExit, async ({ params }) => {
      checkSession(ctx, params.sessionId);
      // Waiting on a command is the agent's work, not silence: the watchdog must not stop it.
      ctx.waitingOnUser(1);
      try {
        return await ctx.terminals.waitForExit(params.terminalId);
      } finally {
        ctx.waitingOnUser(-1);
      }
    })
    .onRequest(acp.methods.client.terminal.kill, ({ params }) => {
      checkSession(ctx, params.sessionId);
      ctx.terminals.kill(params.terminalId);
      return {};
    })
    .onRequest(acp.methods.client.terminal.release, ({ params }) => {
      checkSession(ctx, params.sessionId);
      ctx.terminals.release(params.terminalId);
      return {};
    })
    .onNotification('*', ({ method }) => {
      // Extension notifications (`_vendor/...`) carry nothing we store; noted for debugging.
      ctx.log.debug({ agent: ctx.agentId, method }, 'agent notification ignored');
    });
}

function checkFs(ctx: ClientContext, sessionId: string): FolderAccess {
  const folder = ctx.folder();
  if (!folder) {
    throw acp.RequestError.invalidParams(undefined, 'The conversation folder is outside the allowed roots.');
  }
  checkSession(ctx, sessionId);
  return folder;
}

function checkSession(ctx: ClientContext, sessionId: string): void {
  const current = ctx.acpSessionId();
  if (current && sessionId !== current) throw acp.RequestError.sessionNotFound(sessionId);
}

function fsError(err: unknown): acp.RequestError {
  if (err instanceof FsDenied) return acp.RequestError.invalidParams({ reason: err.message }, err.message);
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return acp.RequestError.resourceNotFound();
  return acp.RequestError.internalError(undefined, code ?? String(err));
}
