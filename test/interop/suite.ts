import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Json } from '../agents/helpers.ts';
import * as ah from '../agents/helpers.ts';
import { type TestServer, startServer } from '../helpers/server.ts';
import { tempDir } from '../helpers/temp.ts';
import {
  CLOCK_SHIFT,
  type InteropAgent,
  agentEntry,
  findAgent,
  isolatedHome,
  killMarked,
  markedPids,
} from './agents.ts';
import { type ModelCall, type Script, plainAnswer, plainScript, shellScript } from './fake-model.ts';

// The tests every real agent goes through (test/interop/<agent>.test.ts), against a fake model on
// loopback: a plain turn stored exactly; a shell command run after a permission answered through the
// API, its output back to the model; kill -9 of gmgui, a restart on the same data dir and a follow-up
// that completes with no replayed history stored. One gmgui server per test file, small turns.
// docs/agents.md names what each agent does wrong and which gmgui defence each test pins.

/** What the suite needs of a fake model endpoint. */
export interface FakeModel {
  url: string;
  script: Script;
  calls: ModelCall[];
  close(): Promise<void>;
}

export interface AgentSetup {
  id: InteropAgent;
  name: string;
  /** Starts the fake model endpoint (rootDir: the folder the conversations work in). */
  startModel(rootDir: string): Promise<FakeModel>;
  /** The agent's environment: offline settings, API key, base URL; may write config files in `home`. */
  env(ctx: { model: FakeModel; home: string; rootDir: string }): Promise<Record<string, string>>;
  /** The model's shell tool and the arguments that run `command` with it. */
  shell: { tool: string; args(command: string): Record<string, unknown> };
  /** More agents on the same program, each with its own environment (e.g. another configuration). */
  variants?: Record<
    string,
    (ctx: { model: FakeModel; home: string; rootDir: string }) => Promise<Record<string, string>>
  >;
  /** Node agents: the restart in a later minute moves the agent's clock (clock-shift.mjs). */
  node?: boolean;
  /** Options for tests that currently fail for want of a gmgui defence: { todo: 'needs gmgui fix: …' }. */
  todo?: Partial<Record<'plain' | 'shell' | 'restart' | 'laterMinute', string>>;
}

const TURN_MS = 120_000;
/** A command whose output differs from its text, and that writes (so every agent asks first). */
export const SHELL_COMMAND = 'echo interop-shell | tr a-z A-Z | tee shell-output.txt';
/** How long an agent may take to notice gmgui died (its stdin closed) and exit. */
const ORPHAN_EXIT_MS = 15_000;
/** The restart "in a later minute": the agent's clock moves this far ahead. */
export const LATER_MS = 2 * 60_000;

/** Agent env for a clock that reads one second past the start of a minute now, and runs on normally. */
function sameMinuteClock(): Record<string, string> {
  const now = Date.now();
  const shift = Math.floor(now / 60_000) * 60_000 + 1000 - now;
  return { NODE_OPTIONS: `--import ${CLOCK_SHIFT}`, INTEROP_CLOCK_SHIFT_MS: String(shift) };
}

/** A gmgui server for one test file that can be killed and restarted on the same data dir. */
export interface Interop {
  readonly s: TestServer;
  readonly model: FakeModel;
  readonly rootDir: string;
  /** Marks the agent's processes (agents.ts). */
  readonly mark: string;
  readonly agentId: string;
  /** kill -9 of gmgui, then a new server on the same data dir; `agentEnv` adds to the agent's env. */
  restart(agentEnv?: Record<string, string>): Promise<void>;
  /** The conversation the tests share (one agent start for several tests), once one exists. */
  conversation: string | null;
  /** The shared conversation, made now (with one completed plain turn) if there is none yet. */
  conversationWithTurn(): Promise<string>;
}

/** Sets up the agent, its fake model and a gmgui server for the current describe(). */
function useInterop(setup: AgentSetup, agent: NonNullable<ReturnType<typeof findAgent>['agent']>): Interop {
  const state = { conversation: null, variants: {} } as {
    s: TestServer;
    model: FakeModel;
    rootDir: string;
    dataDir: string;
    mark: string;
    env: Record<string, string>;
    agentsFile: string;
    conversation: string | null;
    variants: Record<string, Record<string, string>>;
  };
  const agentId = setup.id;

  async function boot(extraEnv: Record<string, string> = {}): Promise<void> {
    const entry = agentEntry(agentId, setup.name, agent, { ...state.env, ...extraEnv });
    const variants = Object.entries(state.variants).map(([id, env]) =>
      agentEntry(id, `${setup.name} (${id})`, agent, { ...env, ...extraEnv }),
    );
    await writeFile(state.agentsFile, JSON.stringify({ agents: [entry, ...variants] }));
    state.s = await startServer({
      dataDir: state.dataDir,
      rootDir: state.rootDir,
      env: { GMGUI_AGENTS_FILE: state.agentsFile },
    });
  }

  before(async () => {
    const { home, env: homeEnv } = isolatedHome(setup.id);
    state.rootDir = tempDir(`gmgui-interop-${setup.id}-root-`);
    state.dataDir = tempDir(`gmgui-interop-${setup.id}-data-`);
    state.agentsFile = join(tempDir(`gmgui-interop-${setup.id}-agents-`), 'agents.json');
    state.model = await setup.startModel(state.rootDir);
    state.mark = homeEnv.INTEROP_TEST_RUN;
    const ctx = { model: state.model, home, rootDir: state.rootDir };
    state.env = { ...homeEnv, ...(await setup.env(ctx)) };
    for (const [id, env] of Object.entries(setup.variants ?? {}))
      state.variants[id] = { ...homeEnv, ...(await env(ctx)) };
    await boot();
  });

  after(async () => {
    await state.s?.stop();
    if (state.mark) killMarked(state.mark);
    await state.model?.close();
  });

  return {
    get s() {
      return state.s;
    },
    get model() {
      return state.model;
    },
    get rootDir() {
      return state.rootDir;
    },
    get mark() {
      return state.mark;
    },
    agentId,
    async restart(agentEnv = {}) {
      await state.s.kill9();
      await orphansGone(state.mark);
      await boot(agentEnv);
    },
    get conversation() {
      return state.conversation;
    },
    set conversation(id: string | null) {
      state.conversation = id;
    },
    async conversationWithTurn() {
      if (state.conversation) return state.conversation;
      const conv = await ah.newConversation(state.s, agentId);
      const r = await ah.finished(state.s, (await ah.send(state.s, conv.id, 'a first message')).id, TURN_MS);
      assert.equal(r.session.status, 'completed', r.session.error ?? '');
      state.conversation = conv.id;
      return conv.id;
    },
  };
}

/**
 * Waits for the agent's processes to end after gmgui was killed (they lose their stdin); any still
 * there after ORPHAN_EXIT_MS are killed and reported, so one test's leftovers never touch the next.
 */
async function orphansGone(mark: string): Promise<void> {
  const deadline = Date.now() + ORPHAN_EXIT_MS;
  while (markedPids(mark).length > 0 && Date.now() < deadline) await ah.sleep(100);
  const left = markedPids(mark);
  if (left.length > 0) {
    killMarked(mark);
    assert.fail(`agent processes ${left.join(', ')} outlived gmgui's kill -9 by ${ORPHAN_EXIT_MS} ms`);
  }
}

/** A follow-up after a restart: completes, stores exactly the new answer, nothing replayed. */
export async function followUpIsClean(i: Interop, conversationId: string, prompt: string): Promise<Json[]> {
  const r = await ah.finished(i.s, (await ah.send(i.s, conversationId, prompt)).id, TURN_MS);
  const { session, events } = r;
  assert.equal(session.status, 'completed', `the follow-up ended ${session.status}: ${session.error ?? ''}`);
  assert.deepEqual(
    events.filter((e: Json) => e.type === 'user_chunk'),
    [],
    'no replayed user message is stored as the new turn',
  );
  assert.equal(
    ah.textOf(events),
    plainAnswer(prompt),
    'the turn stores exactly the new answer, no replayed text',
  );
  assert.equal(session.response?.text ?? ah.textOf(events), plainAnswer(prompt));
  const conv = (await i.s.api('GET', `/api/conversations/${conversationId}`)).body.conversation;
  assert.notEqual(conv.status, 'error');
  return events;
}

async function acpSessionOf(i: Interop, conversationId: string): Promise<string | null> {
  return (
    (await i.s.api('GET', `/api/conversations/${conversationId}`)).body.conversation.acpSessionId ?? null
  );
}

/** The agent's stored turn text, as the thread shows it: the last assistant message. */
async function lastAssistantText(s: TestServer, conversationId: string): Promise<string> {
  const messages = (await s.api('GET', `/api/conversations/${conversationId}/messages`)).body
    .messages as Json[];
  const last = messages.filter((m) => m.role === 'assistant').at(-1);
  return typeof last?.content === 'string' ? last.content : (last?.content?.text ?? '');
}

/** Answers the turn's next permission request through the API with its allow_once option. */
export async function allowOnce(i: Interop, sessionId: string): Promise<Json> {
  const ask = await ah
    .eventOf(i.s, sessionId, 'permission_requested', undefined, TURN_MS)
    .catch(async (err) => {
      const { session, events } = await ah.getSession(i.s, sessionId);
      const output = events.filter(
        (e: Json) => !['text_delta', 'session_updated', 'session_created'].includes(e.type),
      );
      throw new Error(
        `${err.message}; the session ${session.status}: ${JSON.stringify(output).slice(0, 4000)}`,
      );
    });
  const allow = ask.options.find((o: Json) => o.kind === 'allow_once');
  assert.ok(allow, `an allow_once option among ${JSON.stringify(ask.options)}`);
  const r = await i.s.api('POST', `/api/sessions/${sessionId}/permissions/${ask.requestId}`, {
    optionId: allow.optionId,
  });
  assert.equal(r.status, 200, r.text);
  return ask;
}

/** A turn that runs SHELL_COMMAND with the agent's shell tool, allowed through the API, and checks it. */
async function shellTurn(i: Interop, setup: AgentSetup, conversationId: string): Promise<void> {
  i.model.script = shellScript(setup.shell.tool, setup.shell.args);
  try {
    // The output (INTEROP-SHELL) is not in the command line: only a shell that ran it can produce it.
    const session = await ah.send(i.s, conversationId, `run: ${SHELL_COMMAND}`);
    const ask = await allowOnce(i, session.id);
    assert.match(JSON.stringify(ask.toolCall), /echo interop-shell/, 'the request shows the command');
    const { session: done, events } = await ah.finished(i.s, session.id, TURN_MS);
    assert.equal(done.status, 'completed', done.error ?? '');
    assert.match(ah.textOf(events), /Done: the tool ran\.$/);
    assert.ok(
      i.model.calls.some((c) => c.toolResults.some((r) => r.includes('INTEROP-SHELL'))),
      `the command's output reached the model: ${JSON.stringify(i.model.calls.at(-1)?.toolResults)}`,
    );
    assert.equal((await readFile(join(i.rootDir, 'shell-output.txt'), 'utf8')).trim(), 'INTEROP-SHELL');
  } finally {
    i.model.script = plainScript;
  }
}

/** The four tests of every agent; `more` adds the agent's own (it gets the running Interop). */
export function interopSuite(setup: AgentSetup, more?: (i: Interop) => void): void {
  const found = findAgent(setup.id);
  describe(`${setup.name} (real agent, fake model)`, { skip: found.skip }, () => {
    if (!found.agent) return;
    const i = useInterop(setup, found.agent);
    const todo = setup.todo ?? {};

    test('a plain turn is stored exactly as the model sent it', { todo: todo.plain }, async () => {
      const conv = await ah.newConversation(i.s, i.agentId);
      i.conversation = conv.id;
      const prompt = 'hello there';
      const { session, events } = await ah.finished(i.s, (await ah.send(i.s, conv.id, prompt)).id, TURN_MS);
      assert.equal(session.status, 'completed', session.error ?? '');
      assert.equal(ah.textOf(events), plainAnswer(prompt));
      assert.equal(await lastAssistantText(i.s, conv.id), plainAnswer(prompt));
      assert.ok(
        i.model.calls.some((c) => c.prompt === prompt && c.tools.length > 0),
        'the model got the prompt',
      );
    });

    test('a shell command runs once allowed through the API; its output goes back to the model', {
      todo: todo.shell,
    }, async () => {
      await shellTurn(i, setup, await i.conversationWithTurn());
    });

    // The agent's own tests run before the restarts, on the first server.
    more?.(i);

    test('kill -9 and a restart in the same minute: a follow-up completes, nothing replayed', {
      todo: todo.restart,
    }, async () => {
      let started = Date.now();
      const sameMinute = setup.node ? sameMinuteClock() : {};
      if (setup.node) {
        // A clock that starts a minute anew now (clock-shift.mjs), for a new agent session: its first
        // turn, the restart and the reload all fall in that minute of the agent's clock.
        await i.restart(sameMinute);
        started = Date.now();
        i.conversation = null;
      }
      const conv = await i.conversationWithTurn();
      const before = await acpSessionOf(i, conv);
      await i.restart(sameMinute);
      const events = await followUpIsClean(i, conv, 'after the restart');
      if (setup.node)
        assert.ok(Date.now() - started < 58_000, 'the reload fell in the same minute of the agent clock');
      if ((await acpSessionOf(i, conv)) !== before) {
        // The agent did not take its session back (gmgui started a new one): the thread says so.
        assert.ok(
          events.some(
            (e: Json) => e.type === 'notice' && /context|reload/i.test(`${e.title} ${e.description ?? ''}`),
          ),
          `a notice says the agent lost its context: ${JSON.stringify(events.map((e: Json) => e.type))}`,
        );
      }
      // And the conversation goes on.
      await followUpIsClean(i, conv, 'and once more');
    });

    if (setup.node) {
      test('kill -9 and a restart in a later minute (the agent clock moved): a follow-up completes, nothing replayed', {
        todo: todo.laterMinute,
      }, async () => {
        const conv = await i.conversationWithTurn();
        // A tool call in the history the agent replays after the load.
        await shellTurn(i, setup, conv);
        await i.restart({
          NODE_OPTIONS: `--import ${CLOCK_SHIFT}`,
          INTEROP_CLOCK_SHIFT_MS: String(LATER_MS),
        });
        await followUpIsClean(i, conv, 'a minute later');
        await followUpIsClean(i, conv, 'still going');
      });
    }
  });
}
