import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lineSplitter } from '../../src/agents/keeper/protocol.ts';

// The keeper's framing (src/agents/keeper/protocol.ts): whole lines, characters split across chunks
// decoded whole, and a line that never ends passed on once too long, so the server sees a flood.

function split(chunks: Buffer[], maxLine?: number): string[] {
  const out: string[] = [];
  const feed = lineSplitter((l) => out.push(l), maxLine);
  for (const c of chunks) feed(c);
  return out;
}

test('lines across chunks, a character cut in two, empty lines skipped', () => {
  const bytes = Buffer.from('{"a":"é"}\n\n{"b":2}\n{"c"');
  const cut = bytes.indexOf(Buffer.from('é')) + 1; // inside the two bytes of é
  assert.deepEqual(split([bytes.subarray(0, cut), bytes.subarray(cut)]), ['{"a":"é"}', '{"b":2}']);
});

test('an endless line is passed on once past the bound, the rest of it dropped', () => {
  const out = split(
    [Buffer.from('x'.repeat(6)), Buffer.from('y'.repeat(6)), Buffer.from('zz\n{"ok":1}\n')],
    10,
  );
  assert.deepEqual(out, [`${'x'.repeat(6)}${'y'.repeat(6)}`, '{"ok":1}']);
});
