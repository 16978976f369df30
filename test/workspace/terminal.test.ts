import assert from 'node:assert/strict';
import { mkdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { type Json, newConversation, processExists, waitFor } from '../agents/helpers.ts';
import { assertError } from '../helpers/api-assert.ts';
import { useServer } from '../helpers/server.ts';
import { tempDir } from '../helpers/temp.ts';

// Terminals (issue 14, docs/CONTRACT.md section 9 "Terminals"): a real shell on a real pseudo-terminal
// in the conversation's folder, reached over a real WebSocket with the token; it survives a reconnect
// with its scrollback, gets the agents' scrubbed environment, and dies with its conversation.

const dir = realpathSync(tempDir('gmgui-ws-term-'));
const proj = join(dir, 'proj');
mkdirSync(proj);

/** A terminal socket that collects everything it receives. */
class TermClient {
  text = '';
  frames: Json[] = [];
  closed: Promise<{ code: number; reason: string }>;
  readonly ws: WebSocket;
  constructor(url: string, headers: Record<string, string>) {
    this.ws = new WebSocket(url, { headers });
    this.ws.on('message', (data, isBinary) => {
      if (isBinary) this.text += data.toString();
      else this.frames.push(JSON.parse(data.toString()));
    });
    this.ws.on('error', () => {});
    this.closed = new Promise((resolve) =>
      this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }
  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }
  send(frame: Json): void {
    this.ws.send(JSON.stringify(frame));
  }
  /** Types a line and waits until `expect` shows up in the output. */
  async run(line: string, expect: RegExp): Promise<string> {
    this.send({ op: 'input', data: `${line}\r` });
    return waitFor(`"${expect}" in the terminal`, async () => expect.exec(this.text)?.[0], 15_000);
  }
  close(): Promise<unknown> {
    this.ws.close();
    return this.closed;
  }
}

describe('terminals', () => {
  // The shells start in a HOME of their own: the machine's ~/.bashrc (pyenv and the like) is not under test
  // and can take seconds.
  const s = useServer({
    rootDir: dir,
    env: { GMGUI_EXTRA_SECRET: 'must-not-leak', HOME: tempDir('gmgui-ws-home-') },
  });
  let conv: Json;
  const clients: TermClient[] = [];
  before(async () => {
    conv = await newConversation(s, 'demo', proj);
  });
  after(async () => {
    for (const c of clients) c.ws.terminate();
  });

  const socketUrl = (cid: string, tid: string) =>
    `${s.base.replace(/^http/, 'ws')}/api/conversations/${cid}/terminals/${tid}/socket`;
  const attach = async (cid: string, tid: string, headers = { authorization: `Bearer ${s.token}` }) => {
    const c = new TermClient(socketUrl(cid, tid), headers);
    clients.push(c);
    await c.opened();
    await waitFor('the attached frame', async () => c.frames.find((f) => f.op === 'attached'));
    return c;
  };
  const open = async (cid = conv.id, body: Json = {}) => {
    const r = await s.api('POST', `/api/conversations/${cid}/terminals`, body);
    assert.equal(r.status, 201, r.text);
    return r.body.terminal;
  };

  test('a shell in the folder runs echo, with the scrubbed environment', async () => {
    const t = await open(conv.id, { cols: 100, rows: 30 });
    assert.equal(t.cwd, proj);
    assert.equal(t.exit, null);
    assert.ok(processExists(t.pid));
    const c = await attach(conv.id, t.id);
    assert.deepEqual(c.frames[0].terminal.id, t.id);
    await c.run('echo "sum=$((40+2))"', /sum=42/);
    await c.run('pwd', new RegExp(proj));
    await c.run(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, typed into the shell
      'echo "tok=${GMGUI_TOKEN:-none} x=${GMGUI_EXTRA_SECRET:-none} term=$TERM"',
      /tok=none x=none term=xterm-256color/,
    );
    await c.run('stty size', /30 100/);
    c.send({ op: 'resize', cols: 120, rows: 40 });
    await c.run('stty size', /40 120/);
    await c.close();
  });

  test('survives a reconnect: the new socket gets the scrollback, then live output', async () => {
    const t = await open();
    const first = await attach(conv.id, t.id);
    await first.run('echo "before-$((6*7))"', /before-42/);
    await first.close();
    const again = await attach(conv.id, t.id);
    await waitFor('the scrollback', async () => again.text.includes('before-42'));
    await again.run('echo "after-$((6*8))"', /after-48/);
    const listed = await s.api('GET', `/api/conversations/${conv.id}/terminals`);
    assert.ok(listed.body.terminals.some((x: Json) => x.id === t.id));
    await again.close();
  });

  test('DELETE kills the shell; the conversation allows at most 4', async () => {
    const before = (await s.api('GET', `/api/conversations/${conv.id}/terminals`)).body.terminals;
    for (const t of before) await s.api('DELETE', `/api/conversations/${conv.id}/terminals/${t.id}`);
    const made = [];
    for (let i = 0; i < 4; i++) made.push(await open());
    assertError(
      await s.api('POST', `/api/conversations/${conv.id}/terminals`, {}),
      429,
      'too_many_terminals',
    );
    const r = await s.api('DELETE', `/api/conversations/${conv.id}/terminals/${made[0].id}`);
    assert.equal(r.status, 200, r.text);
    await waitFor('the shell to be gone', async () => !processExists(made[0].pid));
    assertError(
      await s.api('DELETE', `/api/conversations/${conv.id}/terminals/${made[0].id}`),
      404,
      'not_found',
    );
    for (const t of made.slice(1)) await s.api('DELETE', `/api/conversations/${conv.id}/terminals/${t.id}`);
  });

  test('deleting the conversation kills its shells and closes their sockets', async () => {
    const other = await newConversation(s, 'demo', proj);
    const t1 = await open(other.id);
    const t2 = await open(other.id);
    const c = await attach(other.id, t1.id);
    await c.run('echo ready-$((1+1))', /ready-2/);
    const r = await s.api('DELETE', `/api/conversations/${other.id}`);
    assert.equal(r.status, 200, r.text);
    await waitFor('both shells to be gone', async () => !processExists(t1.pid) && !processExists(t2.pid));
    await c.closed;
    assertError(await s.api('GET', `/api/conversations/${other.id}/terminals`), 404, 'not_found');
  });

  test('refusals: token, unknown terminal, malformed frames, bad sizes, plain GET', async () => {
    const t = await open();
    const anon = new TermClient(socketUrl(conv.id, t.id), {});
    await assert.rejects(anon.opened(), /HTTP 401/);
    const unknown = await new TermClient(socketUrl(conv.id, 'nope'), { authorization: `Bearer ${s.token}` })
      .closed;
    assert.equal(unknown.code, 4404);
    const c = await attach(conv.id, t.id);
    c.send({ op: 'resize', cols: 0, rows: 0 });
    assert.equal((await c.closed).code, 4400);
    assertError(
      await s.api('POST', `/api/conversations/${conv.id}/terminals`, { cols: 9999 }),
      400,
      'invalid_request',
    );
    assertError(await s.api('POST', '/api/conversations/nope/terminals', {}), 404, 'not_found');
    assertError(
      await s.api('GET', `/api/conversations/${conv.id}/terminals/${t.id}/socket`),
      426,
      'upgrade_required',
    );
    await s.api('DELETE', `/api/conversations/${conv.id}/terminals/${t.id}`);
  });
});
