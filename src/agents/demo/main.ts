import { randomUUID } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import * as acp from '@agentclientprotocol/sdk';
import { type DemoStep, type DemoTiming, PERMISSION_OPTIONS, demoScript } from './script.ts';

// The built-in `demo` agent: a separate process speaking ACP over stdio, built with the SDK's agent
// API. Offline and deterministic. Timing comes from the environment so tests can run it fast.

function envInt(name: string, fallback: number): number {
  const n = Number(process.env[name]);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

const timing: DemoTiming = {
  stepMs: envInt('GMGUI_DEMO_STEP_MS', 60),
  longMs: envInt('GMGUI_DEMO_LONG_MS', 4000),
  longChunks: Math.max(2, envInt('GMGUI_DEMO_LONG_CHUNKS', 200)),
};

// Two modes, so a user can see mode switching work: in `plan` the demo proposes but never edits.
const AVAILABLE_MODES = [
  { id: 'default', name: 'Default', description: 'Ask before editing files' },
  { id: 'plan', name: 'Plan', description: 'Only plan, never edit' },
];

function modeState(currentModeId: string): acp.SessionModeState {
  return { currentModeId, availableModes: AVAILABLE_MODES };
}

const COMMANDS = [
  { name: 'long', description: 'A long answer streamed slowly (try Cancel)' },
  { name: 'quick', description: 'A one-line answer' },
  { name: 'xss', description: 'Untrusted HTML that must be shown safely' },
  { name: 'mode', description: 'Tells which mode the demo is in' },
];

interface DemoSession {
  cwd: string;
  mode: string;
  turn: AbortController | null;
}

const sessions = new Map<string, DemoSession>();

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function promptText(blocks: acp.ContentBlock[]): string {
  return blocks.map((b) => (b.type === 'text' ? b.text : b.type === 'resource_link' ? b.uri : '')).join('\n');
}

async function run(
  client: acp.AgentContext,
  sessionId: string,
  steps: DemoStep[],
  signal: AbortSignal,
): Promise<'done' | 'cancelled'> {
  for (const step of steps) {
    if (signal.aborted) return 'cancelled';
    if (step.kind === 'pause') {
      await sleep(step.ms, signal);
    } else if (step.kind === 'update') {
      await client.notify(acp.methods.client.session.update, {
        sessionId,
        update: step.update as acp.SessionUpdate,
      });
    } else {
      const request: acp.RequestPermissionRequest = {
        sessionId,
        toolCall: step.toolCall as acp.ToolCallUpdate,
        options: PERMISSION_OPTIONS.map((o) => ({ ...o })),
      };
      const answer = await client.request(acp.methods.client.session.requestPermission, request);
      if (answer.outcome.outcome === 'cancelled' || signal.aborted) return 'cancelled';
      const allowed = answer.outcome.optionId.startsWith('allow');
      const rest = await run(client, sessionId, allowed ? step.onAllow : step.onReject, signal);
      if (rest === 'cancelled') return rest;
    }
  }
  return signal.aborted ? 'cancelled' : 'done';
}

const input = Writable.toWeb(process.stdout) as WritableStream<Uint8Array>;
const output = Readable.toWeb(process.stdin) as ReadableStream<Uint8Array>;

const connection = acp
  .agent({ name: 'gmgui-demo' })
  .onRequest(acp.methods.agent.initialize, () => ({
    protocolVersion: acp.PROTOCOL_VERSION,
    agentCapabilities: { loadSession: true, promptCapabilities: { embeddedContext: true } },
    agentInfo: { name: 'gmgui-demo', title: 'Demo agent', version: '1.0.0' },
    authMethods: [],
  }))
  .onRequest(acp.methods.agent.session.new, ({ params, client }) => {
    const sessionId = `demo-${randomUUID()}`;
    sessions.set(sessionId, { cwd: params.cwd, mode: 'default', turn: null });
    // Like real agents, announce commands right after the session exists.
    setTimeout(() => {
      void client.notify(acp.methods.client.session.update, {
        sessionId,
        update: { sessionUpdate: 'available_commands_update', availableCommands: COMMANDS },
      });
    }, 0);
    return { sessionId, modes: modeState('default') };
  })
  .onRequest(acp.methods.agent.session.load, ({ params }) => {
    // The demo keeps no history: its answers depend only on the prompt, so any id can be loaded. Like
    // a new process of a real agent, it starts in the default mode.
    sessions.set(params.sessionId, { cwd: params.cwd, mode: 'default', turn: null });
    return { modes: modeState('default') };
  })
  .onRequest(acp.methods.agent.session.setMode, async ({ params, client }) => {
    const s = sessions.get(params.sessionId);
    if (!s) throw acp.RequestError.sessionNotFound(params.sessionId);
    if (!AVAILABLE_MODES.some((m) => m.id === params.modeId))
      throw acp.RequestError.invalidParams(undefined, `There is no mode "${params.modeId}".`);
    s.mode = params.modeId;
    await client.notify(acp.methods.client.session.update, {
      sessionId: params.sessionId,
      update: { sessionUpdate: 'current_mode_update', currentModeId: params.modeId },
    });
    return {};
  })
  .onRequest(acp.methods.agent.session.prompt, async ({ params, client }) => {
    const s = sessions.get(params.sessionId);
    if (!s) throw acp.RequestError.sessionNotFound(params.sessionId);
    s.turn?.abort();
    const turn = new AbortController();
    s.turn = turn;
    try {
      const steps = demoScript(promptText(params.prompt), s.cwd, timing, s.mode);
      const result = await run(client, params.sessionId, steps, turn.signal);
      return { stopReason: result === 'cancelled' ? 'cancelled' : 'end_turn' };
    } finally {
      if (s.turn === turn) s.turn = null;
    }
  })
  .onNotification(acp.methods.agent.session.cancel, ({ params }) => {
    sessions.get(params.sessionId)?.turn?.abort();
  })
  .connect(acp.ndJsonStream(input, output));

// The client closing our stdin means gmgui is gone or done with us.
connection.closed.then(() => process.exit(0));
