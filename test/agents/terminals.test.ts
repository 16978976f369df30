import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { withAgentsFile } from '../helpers/agents-file.ts';
import { useServer } from '../helpers/server.ts';
import {
  eventOf,
  finished,
  getSession,
  type Json,
  newConversation,
  processExists,
  send,
  textOf,
  toolsAgent,
  turn,
  waitFor,
} from './helpers.ts';

// Commands an agent runs through gmgui (ACP terminal/*, issue 11), with a real agent process
// (test/fixtures/agents/tools-agent.ts "run <script>"): the output streams into the log as
// `terminal_output` events while the command runs, then `terminal_exit`; the command runs in the
// conversation folder with the agent's scrubbed environment, its kept output is bounded, and a
// cancel kills it.

describe('client terminals', () => {
  const s = useServer({
    env: { ...withAgentsFile([toolsAgent('tools', 'tools')]), GMGUI_SECRET_SETTING: 'x' },
  });

  test('output streams into the log before the exit, in order; the agent reads the same output', async () => {
    const c = await newConversation(s, 'tools');
    const { events } = await turn(s, c.id, 'run echo one; sleep 0.3; echo two');
    const call = events.find((e: Json) => e.type === 'tool_call');
    const terminalId = call.content[0].terminalId;
    assert.deepEqual(call.content, [{ type: 'terminal', terminalId }]);
    const out = events.filter((e: Json) => e.type === 'terminal_output' && e.terminalId === terminalId);
    const exit = events.find((e: Json) => e.type === 'terminal_exit' && e.terminalId === terminalId);
    assert.equal(out.map((e: Json) => e.data).join(''), 'one\ntwo\n');
    assert.ok(out.length >= 2, 'the first line is stored before the command ends');
    assert.equal(out[0].data, 'one\n');
    assert.ok(
      out.every((e: Json) => e.seq < exit.seq),
      'output before the exit',
    );
    assert.ok(
      out[1].created_at - out[0].created_at >= 200,
      'the first line was stored while the command slept',
    );
    assert.deepEqual({ exitCode: exit.exitCode, signal: exit.signal }, { exitCode: 0, signal: null });
    const reply = JSON.parse(textOf(events));
    assert.deepEqual(reply, {
      terminalId,
      output: 'one\ntwo\n',
      truncated: false,
      exit: { exitCode: 0, signal: null },
    });
  });

  test('the conversation folder, the scrubbed environment with what the agent adds, bounded output', async () => {
    const c = await newConversation(s, 'tools');
    const env = JSON.parse(
      textOf(
        (await turn(s, c.id, 'run pwd; echo "$FIXTURE_VAR/$GMGUI_SECRET_SETTING/$GMGUI_TOKEN."')).events,
      ),
    );
    assert.equal(env.output, `${c.cwd}\nfrom-agent//.\n`);
    const big = JSON.parse(
      textOf((await turn(s, c.id, "run head -c 10000 /dev/zero | tr '\\0' x; exit 3")).events),
    );
    assert.equal(big.truncated, true);
    assert.equal(big.output, 'x'.repeat(4096), 'the agent asked for 4096 bytes at most');
    assert.deepEqual(big.exit, { exitCode: 3, signal: null });
    const missing = await turn(s, c.id, 'run exec /nonexistent/program');
    assert.equal(JSON.parse(textOf(missing.events)).exit.exitCode, 127);
    // A working folder inside the conversation's is taken; anything else is refused.
    mkdirSync(join(c.cwd, 'sub'));
    assert.equal(
      textOf((await turn(s, c.id, `cwd ${join(c.cwd, 'sub')}`)).events),
      `ran in ${join(c.cwd, 'sub')}`,
    );
    assert.match(
      textOf((await turn(s, c.id, 'cwd /etc')).events),
      /^refused: .*not a folder inside the conversation folder/,
    );
    assert.match(textOf((await turn(s, c.id, 'cwd sub')).events), /^refused: .*absolute path/);
  });

  test('cancelling the turn kills the command and what it started', async () => {
    const c = await newConversation(s, 'tools');
    const session = await send(s, c.id, 'run echo $$; sleep 30 & wait');
    const first = await eventOf(s, session.id, 'terminal_output');
    const pid = Number(first.data.trim());
    assert.ok(pid > 0 && processExists(pid), first.data);
    const r = await s.api('POST', `/api/sessions/${session.id}/cancel`);
    assert.equal(r.status, 202, r.text);
    const done = await finished(s, session.id);
    assert.equal(done.session.status, 'cancelled');
    await waitFor('the command to be gone', async () => !processExists(pid), 10_000);
    const exit = (await getSession(s, session.id)).events.find((e: Json) => e.type === 'terminal_exit');
    assert.equal(exit.signal, 'SIGKILL');
  });
});
