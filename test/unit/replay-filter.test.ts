import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReplayFilter, type StoredHistory } from '../../src/agents/replay-filter.ts';

// The rule that tells replayed history from a new turn after session/load (docs/DESIGN.md "Replayed
// history"), on the orders real agents send things in (docs/agents.md). The interop tests drive the
// same rule with Gemini CLI itself, whose timing varies; here every order is pinned.

const history: StoredHistory = {
  toolCallIds: new Set(['call_old']),
  texts: ['hello there', 'You said: hello there', 'run it', 'Running it.Done: the tool ran.'],
};

const user = (text: string) => ({ sessionUpdate: 'user_message_chunk', content: { type: 'text', text } });
const agent = (text: string) => ({ sessionUpdate: 'agent_message_chunk', content: { type: 'text', text } });
const tool = (toolCallId: string) => ({ sessionUpdate: 'tool_call', toolCallId, title: 't' });
const commands = { sessionUpdate: 'available_commands_update', availableCommands: [] };

/** Feeds updates in order (strings: 'answer', 'prompt'); returns the ones kept as the new turn. */
function kept(filter: ReplayFilter, steps: Array<unknown | 'answer' | 'prompt'>): unknown[] {
  const out: unknown[] = [];
  for (const s of steps) {
    if (s === 'answer') filter.loadAnswered();
    else if (s === 'prompt') filter.promptSent();
    else if (!filter.isReplay(s)) out.push(s);
  }
  return out;
}

describe('replayed history after session/load', () => {
  test('everything of history kinds before the load answer is replay', () => {
    const f = new ReplayFilter(history);
    assert.deepEqual(kept(f, [user('x'), agent('not stored'), tool('call_new'), 'answer']), []);
  });

  test('replay streamed after the answer and after the prompt is dropped; the new answer is kept (Gemini)', () => {
    const f = new ReplayFilter(history);
    const steps = [
      'answer',
      user('hello there'),
      agent('You said: hello there'),
      'prompt',
      user('run it'),
      agent('Running it.'),
      tool('call_old'),
      agent('Done: the tool ran.'),
      commands,
      agent('You said'),
      agent(': again'),
    ];
    assert.deepEqual(kept(f, steps), [commands, agent('You said'), agent(': again')]);
    assert.equal(f.done, true);
  });

  test('with no replay after the answer, a new answer that starts like an old one is kept whole', () => {
    const f = new ReplayFilter(history);
    assert.deepEqual(kept(f, ['answer', 'prompt', agent('You said'), agent(': new')]), [
      agent('You said'),
      agent(': new'),
    ]);
  });

  test('text before the prompt is replay even when it is not stored; a new tool call after it is kept', () => {
    const f = new ReplayFilter(history);
    const steps = ['answer', agent('something gmgui never stored'), 'prompt', tool('call_new'), agent('x')];
    assert.deepEqual(kept(f, steps), [tool('call_new'), agent('x')]);
  });

  test('without the stored history, replay is what comes before the prompt, and user chunks', () => {
    const f = new ReplayFilter(null);
    const steps = ['answer', agent('old'), 'prompt', user('hello there'), agent('You said: hello there')];
    assert.deepEqual(kept(f, steps), [agent('You said: hello there')]);
  });

  test('updates that are not history pass and leave the window open', () => {
    const f = new ReplayFilter(history);
    assert.deepEqual(kept(f, ['answer', commands, 'prompt', commands, user('hello there')]), [
      commands,
      commands,
    ]);
    assert.equal(f.done, false);
  });
});
