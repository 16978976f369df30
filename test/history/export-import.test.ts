import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { assertError } from '../helpers/api-assert.ts';
import { type Json, turn, waitFor } from '../agents/helpers.ts';
import { type TestServer, useServers } from '../helpers/server.ts';
import { setup } from '../helpers/use.ts';
import { SQLITE_FILE } from '../../src/store/open.ts';
import { exportedEvents } from '../helpers/export-file.ts';

// Export and import through real server processes (docs/CONTRACT.md "Export and import"): a demo
// conversation exported from one server and imported into another with a fresh data dir is equal event
// for event; importing it twice changes nothing; a file that does not verify is refused with nothing
// written, checked in the database file itself.

const servers = useServers();
let a: TestServer;
let b: TestServer;
let id = '';
let file = '';

const importFile = (s: TestServer, body: string, type = 'application/x-ndjson') =>
  s.api('POST', '/api/conversations/import', body, { 'content-type': type });

/** What the server's database holds: rows and events, read beside it. */
function stored(s: TestServer) {
  const db = new Database(join(s.dataDir, SQLITE_FILE), { readonly: true });
  try {
    const n = (t: string) => (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
    return {
      conversations: n('conversations'),
      messages: n('messages'),
      sessions: n('sessions'),
      events: n('events'),
    };
  } finally {
    db.close();
  }
}

/** A file whose trailer is made to match its (changed) event lines, so only the deeper checks can refuse it. */
function resealed(lines: string[]): string {
  const events = lines.slice(1, -1);
  const hash = createHash('sha256');
  for (const l of events) hash.update(`${l}\n`);
  const trailer = {
    ...JSON.parse(lines[lines.length - 1]),
    events: events.length,
    sha256: hash.digest('hex'),
  };
  return `${[lines[0], ...events, JSON.stringify(trailer)].join('\n')}\n`;
}

setup(async () => {
  a = await servers.start();
  // The same roots on the second server: an imported conversation's folder must lie inside them.
  b = await servers.start({ rootDir: a.rootDir });
  const r = await a.api('POST', '/api/conversations', {
    agentId: 'demo',
    cwd: a.rootDir,
    title: 'Carried over',
  });
  id = r.body.conversation.id;
  // Auto-approve answers the demo's permission request, so its full answer (thoughts, plan, tool calls,
  // a permission, an edit) runs unattended.
  assert.equal(
    (await a.api('PATCH', `/api/conversations/${id}`, { settings: { autoApprove: true } })).status,
    200,
  );
  await turn(a, id, 'show me everything');
  await turn(a, id, '/quick one more');
  const ex = await a.api('GET', `/api/conversations/${id}/export?format=jsonl`);
  assert.equal(ex.status, 200, ex.text);
  file = ex.text;
});

describe('export', () => {
  test('JSONL: header, every event of the log in seq order, trailer with counts and checksum', async () => {
    const lines = file.trimEnd().split('\n');
    const header = JSON.parse(lines[0]);
    assert.equal(header.format, 'gmgui.conversation');
    assert.equal(header.version, 1);
    assert.equal(header.conversation.id, id);
    const events = lines.slice(1, -1).map((l) => JSON.parse(l));
    const log: Json[] = [];
    for (let after = 0; ; ) {
      const r = await a.api('GET', `/api/conversations/${id}/events?after=${after}`);
      assert.equal(r.status, 200, r.text);
      log.push(...r.body.events);
      if (r.body.events.length === 0) break;
      after = r.body.events[r.body.events.length - 1].seq;
    }
    assert.deepEqual(events, log);
    for (const t of ['conversation_created', 'message_created', 'tool_call', 'permission_resolved', 'done'])
      assert.ok(
        events.some((e) => e.type === t),
        `the export holds a ${t}`,
      );
    const trailer = JSON.parse(lines[lines.length - 1]);
    assert.equal(trailer.events, events.length);
    assert.equal(trailer.messages, 4);
    assert.equal(trailer.sessions, 2);
    const hash = createHash('sha256');
    for (const l of lines.slice(1, -1)) hash.update(`${l}\n`);
    assert.equal(trailer.sha256, hash.digest('hex'));
  });

  test('Markdown: the title, each message and answer, the tool calls summarised', async () => {
    const r = await a.api('GET', `/api/conversations/${id}/export?format=markdown`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/markdown/);
    assert.match(r.headers.get('content-disposition') ?? '', /attachment; filename="conversation-.*\.md"/);
    assert.ok(r.text.startsWith('# Carried over\n'));
    assert.equal(r.text.match(/^## You/gm)?.length, 2);
    assert.equal(r.text.match(/^## Agent/gm)?.length, 2);
    assert.match(r.text, /> show me everything/);
    assert.match(r.text, /Tool calls:\n\n- `\w+` .+ \(completed\)/);
    assert.match(r.text, /Quick answer: \*\*ok\*\*/);
  });

  test('an unknown conversation is 404, an unknown format 400', async () => {
    assertError(await a.api('GET', '/api/conversations/conv_nope/export?format=jsonl'), 404, 'not_found');
    assertError(await a.api('GET', `/api/conversations/${id}/export?format=pdf`), 400, 'invalid_request');
  });
});

describe('import', () => {
  test('refused files write nothing: one byte changed, cut short, a wrong event shape, not an export', async () => {
    const before = stored(b);
    const lines = file.trimEnd().split('\n');
    const i = lines.findIndex((l) =>
      /"type":"text_delta","conversationId":"[^"]+","sessionId":"[^"]+","created_at":\d+,"text":"[A-Za-z]/.test(
        l,
      ),
    );
    assert.ok(i > 0, 'a text_delta starting with a letter');
    // One byte of the file changed: the first letter of that answer text.
    const at = file.indexOf(lines[i]) + lines[i].indexOf('"text":"') + 8;
    const oneByte = `${file.slice(0, at)}${file[at] === 'a' ? 'b' : 'a'}${file.slice(at + 1)}`;
    const edited = (change: (e: Json) => void) =>
      resealed(
        lines.map((l, k) => {
          if (k !== i) return l;
          const e = JSON.parse(l);
          change(e);
          return JSON.stringify(e);
        }),
      );
    const badShape = edited((e) => {
      e.text = 42;
    });
    const otherConversation = edited((e) => {
      e.conversationId = 'conv_other';
    });
    const cases: Array<[string, string, RegExp]> = [
      ['one byte changed', oneByte, /checksum does not match/],
      ['cut short', file.slice(0, Math.floor(file.length / 2)), /cut short|not valid JSON/],
      ['cut at a line end', `${lines.slice(0, -1).join('\n')}\n`, /cut short/],
      ['a wrong event shape', badShape, /\(text_delta\) is malformed at "text"/],
      ['an event of another conversation', otherConversation, /another conversation/],
      [
        'a header that its log does not rebuild',
        file.replace('"title":"Carried over"', '"title":"Carried away"'),
        /differs from what its own log rebuilds/,
      ],
      ['empty', '', /empty|cut short/],
      ['not an export', '{"hello":1}\n{"x":2}\n', /not a "gmgui.conversation" header/],
    ];
    for (const [what, body, message] of cases) {
      const r = await importFile(b, body);
      assert.equal(r.status, 422, `${what}: ${r.text}`);
      assert.equal(r.body.code, 'import_invalid', what);
      assert.match(r.body.error, message, what);
    }
    assertError(await importFile(b, file, 'application/json'), 415, 'unsupported_media_type');
    assert.deepEqual(stored(b), before, 'nothing was written');
  });

  test('into a fresh data dir: 201, equal event for event; the same file again: 200, nothing changes', async () => {
    const r = await importFile(b, file);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.conversation.id, id);
    assert.deepEqual(r.body.conversation, (await a.api('GET', `/api/conversations/${id}`)).body.conversation);
    const back = await b.api('GET', `/api/conversations/${id}/export?format=jsonl`);
    assert.deepEqual(exportedEvents(back.text), exportedEvents(file));
    assert.deepEqual(
      (await b.api('GET', `/api/conversations/${id}/messages`)).body,
      (await a.api('GET', `/api/conversations/${id}/messages`)).body,
    );
    const after = stored(b);
    const again = await importFile(b, file, 'text/plain');
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.body.conversation, r.body.conversation);
    assert.deepEqual(stored(b), after, 'the second import changed nothing');
    // And into the server it came from: it is there already, unchanged.
    assert.equal((await importFile(a, file)).status, 200);
  });

  test('the imported conversation goes on: a new message is answered there', async () => {
    const next = await turn(b, id, '/quick after the move');
    assert.equal(next.session.status, 'completed');
    // The old file now describes an older state of it: a conflict, nothing overwritten.
    assertError(await importFile(b, file), 409, 'import_conflict');
  });

  test('a file over the import limit is 413', async () => {
    const small = await servers.start({ rootDir: a.rootDir, env: { GMGUI_BODY_LIMIT: '4096' } });
    const big = `${file}${' '.repeat(70_000)}`;
    assertError(await importFile(small, big), 413, 'body_too_large');
    await waitFor('nothing stored', async () => stored(small).conversations === 0);
  });
});
