import type { Readable, Writable } from 'node:stream';
import type { AnyMessage, Stream } from '@agentclientprotocol/sdk';
import { AgentFault, formatBytes, sample } from './faults.ts';

// Newline-delimited JSON over the agent's stdio, as an SDK `Stream`. We do the framing ourselves
// rather than use the SDK's ndJsonStream because gmgui must notice what that one quietly tolerates:
// a line that is not JSON (the SDK answers it with a parse error and carries on), a message that
// grows without end, and the agent falling silent. `session/update` notifications are taken out
// here, in arrival order, and handed to `onUpdate` raw: the SDK's schema drops update kinds it does
// not know, and we must keep them.

export interface TransportHooks {
  onUpdate(params: unknown): void;
  onActivity(): void;
  onFault(fault: AgentFault): void;
}

export interface TransportLimits {
  /** One JSON message larger than this is treated as a flood. */
  maxMessageBytes: number;
}

export interface StdioTransport {
  stream: Stream;
  pause(): void;
  resume(): void;
}

const NEWLINE = 0x0a;

export function stdioTransport(
  agentName: string,
  stdout: Readable,
  stdin: Writable,
  hooks: TransportHooks,
  limits: TransportLimits,
): StdioTransport {
  let failed = false;
  // Set once the SDK cancels the readable (its connection closed) or the agent's output ended: a line
  // that still arrives then has nobody to go to, and enqueueing it would throw out of a 'data' event
  // and take the whole server down.
  let closed = false;
  let pending: Buffer[] = [];
  let pendingBytes = 0;

  const fail = (fault: AgentFault) => {
    if (failed) return;
    failed = true;
    pending = [];
    stdout.pause();
    hooks.onFault(fault);
  };

  const readable = new ReadableStream<AnyMessage>({
    start(controller) {
      const handleLine = (bytes: Buffer) => {
        const text = bytes.toString('utf8').trim();
        if (!text) return;
        let msg: unknown;
        try {
          msg = JSON.parse(text);
        } catch {
          fail(
            new AgentFault(
              'not_acp',
              `The agent "${agentName}" wrote something that is not ACP to its output ("${sample(text)}"), so gmgui stopped it. Agents must print only JSON-RPC messages on stdout.`,
            ),
          );
          return;
        }
        if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
          fail(
            new AgentFault(
              'not_acp',
              `The agent "${agentName}" sent a message that is not a JSON-RPC object ("${sample(text)}"), so gmgui stopped it.`,
            ),
          );
          return;
        }
        const m = msg as Record<string, unknown>;
        if (m.method === 'session/update' && m.id === undefined) {
          hooks.onUpdate(m.params);
          return;
        }
        if (closed) return;
        try {
          controller.enqueue(m as AnyMessage);
        } catch {
          closed = true;
        }
      };

      stdout.on('data', (chunk: Buffer) => {
        if (failed) return;
        hooks.onActivity();
        let start = 0;
        while (!failed) {
          const nl = chunk.indexOf(NEWLINE, start);
          if (nl === -1) break;
          const piece = chunk.subarray(start, nl);
          const line = pending.length ? Buffer.concat([...pending, piece]) : piece;
          pending = [];
          pendingBytes = 0;
          start = nl + 1;
          if (line.length > limits.maxMessageBytes) {
            fail(tooLarge(agentName, limits.maxMessageBytes));
            return;
          }
          handleLine(line);
        }
        if (failed || start >= chunk.length) return;
        const rest = chunk.subarray(start);
        pending.push(rest);
        pendingBytes += rest.length;
        if (pendingBytes > limits.maxMessageBytes) fail(tooLarge(agentName, limits.maxMessageBytes));
      });
      stdout.once('end', () => {
        if (!failed && pendingBytes > 0) handleLine(Buffer.concat(pending));
        pending = [];
        if (closed) return;
        closed = true;
        try {
          controller.close();
        } catch {
          // Already closed or errored: nothing to do.
        }
      });
    },
    cancel() {
      closed = true;
    },
  });

  const writable = new WritableStream<AnyMessage>({
    write(message) {
      return new Promise<void>((resolveWrite) => {
        if (!stdin.writable) return resolveWrite();
        // The callback also fires with an error when the agent is gone; the exit is reported elsewhere.
        stdin.write(`${JSON.stringify(message)}\n`, () => resolveWrite());
      });
    },
  });

  return {
    stream: { readable, writable },
    pause: () => stdout.pause(),
    resume: () => {
      if (!failed) stdout.resume();
    },
  };
}

function tooLarge(agentName: string, max: number): AgentFault {
  return new AgentFault(
    'message_too_large',
    `The agent "${agentName}" flooded its output with a message larger than ${formatBytes(max)}, so gmgui stopped it to protect the server.`,
  );
}
