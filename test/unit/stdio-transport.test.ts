import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { stdioTransport } from '../../src/agents/stdio-transport.ts';

// The agent's stdout framed as ACP messages. A line that arrives after the SDK let go of the stream
// (its connection closed while the agent still talks, as Codex does on a failed sign-in) used to throw
// "Controller is already closed" out of a 'data' event and take the whole server down.

function transport() {
  const stdout = new PassThrough();
  const stdin = new PassThrough();
  const faults: string[] = [];
  const t = stdioTransport(
    'agent',
    stdout,
    stdin,
    { onUpdate: () => {}, onActivity: () => {}, onFault: (f) => faults.push(f.kind) },
    { maxMessageBytes: 1024 },
  );
  return { t, stdout, faults };
}

test('messages are read in order, split lines joined', async () => {
  const { t, stdout } = transport();
  const reader = t.stream.readable.getReader();
  stdout.write('{"jsonrpc":"2.0","id":1,"res');
  stdout.write('ult":{}}\n{"jsonrpc":"2.0","id":2,"result":{}}\n');
  assert.deepEqual((await reader.read()).value, { jsonrpc: '2.0', id: 1, result: {} });
  assert.deepEqual((await reader.read()).value, { jsonrpc: '2.0', id: 2, result: {} });
});

test('a line after the reader cancelled is dropped, not thrown', async () => {
  const { t, stdout, faults } = transport();
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown) => uncaught.push(e);
  process.on('uncaughtException', onUncaught);
  try {
    const reader = t.stream.readable.getReader();
    await reader.cancel();
    stdout.write('{"jsonrpc":"2.0","id":3,"result":{}}\n');
    stdout.end('{"jsonrpc":"2.0","id":4,"result":{}}');
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(uncaught, []);
    assert.deepEqual(faults, []);
  } finally {
    process.off('uncaughtException', onUncaught);
  }
});

test('a line that is not JSON is a not_acp fault', async () => {
  const { stdout, faults } = transport();
  stdout.write('hello\n');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(faults, ['not_acp']);
});
