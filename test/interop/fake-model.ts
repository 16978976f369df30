import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { listenLoopback } from '../helpers/loopback.ts';

// What the fake model endpoints (fake-gemini.ts, fake-responses.ts, fake-chat.ts) share: a loopback
// HTTP server that records every request, and the "brain" deciding each answer. A test scripts the
// model with a function of the request as the endpoint understood it (the last user text, the tool
// results that came back, the tools offered), so the same script drives every wire format.

/** One request of the agent to the model, as the fake understood it. */
export interface ModelCall {
  /** The text of the last user message (tool results excluded). */
  prompt: string;
  /** Tool results in the last user turn (what the agent sends back after running a tool), as text. */
  toolResults: string[];
  /** Names of the tools the agent offered; empty for side requests (titles, summaries, checks). */
  tools: string[];
  /** The request body as sent. */
  body: unknown;
}

/** What the model answers: some text, optionally followed by one tool call. */
export interface Reply {
  text?: string;
  tool?: { name: string; args: Record<string, unknown> };
}

export type Script = (call: ModelCall) => Reply;

/**
 * The default model: after a tool result it says it is done; otherwise it answers with a sentence
 * naming the prompt, so each turn's text is unique and a replayed old answer is easy to recognise.
 */
export const plainScript: Script = (call) =>
  call.toolResults.length > 0 ? { text: 'Done: the tool ran.' } : { text: `You said: ${call.prompt}` };

/** The text the default model answers to `prompt`. */
export const plainAnswer = (prompt: string): string => `You said: ${prompt}`;

/**
 * A prompt of the form `<verb>: <rest>` makes this model call `tool` with argsOf(rest), then say it
 * is done once the result came back; any other prompt gets plainScript's answer.
 */
export function toolScript(
  verb: string,
  tool: string,
  argsOf: (rest: string) => Record<string, unknown>,
): Script {
  return (call) => {
    if (call.toolResults.length > 0) return { text: 'Done: the tool ran.' };
    const m = new RegExp(`^${verb}: (.+)$`, 'm').exec(call.prompt);
    if (m && call.tools.includes(tool))
      return { text: 'Running it.', tool: { name: tool, args: argsOf(m[1]) } };
    return plainScript(call);
  };
}

/** `run: <command>` calls the agent's shell tool. */
export const shellScript = (tool: string, argsOf: (command: string) => Record<string, unknown>): Script =>
  toolScript('run', tool, argsOf);

export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
}

export interface FakeServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export type Handler = (req: RecordedRequest, res: ServerResponse) => void;

/** A fake model endpoint: its server, the script (a test may swap it any time) and the calls so far. */
export interface ScriptedFake extends FakeServer {
  script: Script;
  calls: ModelCall[];
}

/**
 * Starts a fake model endpoint. `handle` answers every request; for a model call it asks `think`,
 * which records the call and runs the current script.
 */
export async function startScriptedFake(
  script: Script,
  handle: (req: RecordedRequest, res: ServerResponse, think: (call: ModelCall) => Reply) => void,
): Promise<ScriptedFake> {
  const fake = { script, calls: [] as ModelCall[] };
  const think = (call: ModelCall): Reply => {
    fake.calls.push(call);
    return fake.script(call);
  };
  return Object.assign(fake, await startFakeServer((req, res) => handle(req, res, think)));
}

/** The text of message content: a string, or the last part of a list that has `text`. */
export function lastText(content: Loose): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.filter((c) => typeof c?.text === 'string').at(-1)?.text ?? '';
}

/** A loopback HTTP server that parses JSON bodies, records each request and hands it to `handle`. */
export async function startFakeServer(handle: Handler): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = raw;
      try {
        body = raw ? JSON.parse(raw) : null;
      } catch {
        // Not JSON (or compressed): kept as text, answered like any other request.
      }
      const r = { method: req.method ?? 'GET', path: req.url ?? '/', body };
      requests.push(r);
      try {
        handle(r, res);
      } catch (err) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: String(err) } }));
      }
    });
  });
  const { port, close } = await listenLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close,
  };
}

/** Starts a server-sent events answer. */
export function sseStart(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
}

/** One SSE message, with an `event:` line when named. */
export function sse(res: ServerResponse, data: unknown, event?: string): void {
  res.write(
    `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`,
  );
}

export function json(res: ServerResponse, data: unknown, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(data));
}

/** Text in small pieces, so the agent streams it as several chunks. */
export function pieces(text: string): string[] {
  return text.match(/.{1,8}/gs) ?? [];
}

// biome-ignore lint/suspicious/noExplicitAny: request bodies are arbitrary JSON read field by field
export type Loose = any;
