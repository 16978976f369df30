import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { finished, send, turn } from '../agents/helpers.ts';
import { newConversation } from '../helpers/calls.ts';
import { pgSkipReason, sql, usePgDatabase } from '../helpers/pg.ts';
import { ROOT, serverCommand, useServer } from '../helpers/server.ts';
import { SQLITE_FILE } from '../../src/store/open.ts';

// `gmgui verify` and `gmgui backup` (src/cli/history-ops.ts), run as the shipped command beside a
// running server: verify finds a row changed behind the server's back; a backup taken during a burst
// of writes opens and verifies.

const tmp = mkdtempSync(join(tmpdir(), 'gmgui-backup-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const CLEAN_ENV = { DATABASE_URL: '', GMGUI_DATA_DIR: '' };

function gmgui(args: string[], env: Record<string, string> = {}) {
  const [node, ...pre] = serverCommand();
  const r = spawnSync(node, [...pre, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...CLEAN_ENV, ...env },
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same, without blocking this process (the server and the burst keep running meanwhile). */
function gmguiAsync(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [node, ...pre] = serverCommand();
  const p = spawn(node, [...pre, ...args], { cwd: ROOT, env: { ...process.env, ...CLEAN_ENV } });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d) => {
    stdout += d;
  });
  p.stderr.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve) => p.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('gmgui verify', () => {
  const s = useServer();

  test('--help; equal tables are exit 0; a row changed behind the server is exit 8 with each difference', async () => {
    const h = gmgui(['verify', '--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /^Usage: gmgui verify \[flags\]/);
    const id = await newConversation(s);
    const { session } = await turn(s, id, '/quick first');
    const second = await turn(s, id, '/quick second');
    const ok = gmgui(['verify', '--data-dir', s.dataDir]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^ok {4}.+: \d+ rows equal the tables rebuilt from \d+ events$/m);

    const db = new Database(join(s.dataDir, SQLITE_FILE));
    try {
      db.prepare(`UPDATE messages SET content = '"tampered"' WHERE id = ?`).run(session.messageId);
      db.prepare('DELETE FROM sessions WHERE id = ?').run(session.id);
      db.prepare("UPDATE messages SET content = 'not json' WHERE id = ?").run(second.session.messageId);
    } finally {
      db.close();
    }
    const bad = gmgui(['verify', '--data-dir', s.dataDir]);
    assert.equal(bad.code, 8, bad.stdout + bad.stderr);
    assert.match(
      bad.stdout,
      new RegExp(
        `^DIFF  message ${session.messageId}: content is "tampered" in the table, "/quick first" by the log$`,
        'm',
      ),
    );
    assert.match(
      bad.stdout,
      new RegExp(`^DIFF  session ${session.id}: in the log, missing from the table$`, 'm'),
    );
    assert.match(
      bad.stdout,
      new RegExp(`^DIFF  message ${second.session.messageId}: the row cannot be read \\(`, 'm'),
    );
    assert.match(bad.stdout, /^FAIL {2}.+: 3 differences/m);
  });

  test('no database is exit 1 with a sentence', () => {
    const r = gmgui(['verify', '--data-dir', join(tmp, 'empty')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /there is no database at/);
  });
});

describe('gmgui backup', () => {
  const s = useServer();

  test('during a burst of sends: the copy is consistent, opens and verifies', async () => {
    const ids = [await newConversation(s), await newConversation(s)];
    await turn(s, ids[0], '/quick before');
    const target = join(tmp, 'copy.db');
    // The burst: many sends on both conversations, each answered by the agent, while the backup runs.
    const burst = Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const session = await send(s, ids[i % 2], `/quick burst ${i}`);
        return finished(s, session.id, 60_000);
      }),
    );
    await new Promise((r) => setTimeout(r, 150));
    const messages = () => {
      const live = new Database(join(s.dataDir, SQLITE_FILE), { readonly: true });
      try {
        return (live.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
      } finally {
        live.close();
      }
    };
    // The burst is still under way when the backup starts: 2 messages before it, 80 once it is over.
    assert.ok(messages() < 82, 'the backup starts while the burst writes');
    const r = await gmguiAsync(['backup', '--data-dir', s.dataDir, target]);
    await burst;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^ok {4}backup written to .*copy\.db \(\d+ bytes\)$/m);
    assert.match(r.stdout, /rows equal the tables rebuilt/);
    const copy = new Database(target, { readonly: true, fileMustExist: true });
    let copied: number;
    try {
      assert.equal(copy.pragma('integrity_check', { simple: true }), 'ok');
      copied = (copy.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
    } finally {
      copy.close();
    }
    assert.ok(copied >= 2, `the copy holds the messages from before the burst (${copied})`);
    const v = gmgui(['verify', '--file', target]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    // The live database went on: it is never smaller than the copy.
    assert.equal(messages(), 82);
    assert.ok(copied <= 82);
  });

  test('bad use: no file or an existing one is exit 2, nothing written; --help names <file>', () => {
    const h = gmgui(['backup', '--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /^Usage: gmgui backup \[flags\] <file>/);
    const none = gmgui(['backup', '--data-dir', s.dataDir]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /name the file to write/);
    const exists = gmgui(['backup', '--data-dir', s.dataDir, join(tmp, 'copy.db')]);
    assert.equal(exists.code, 2);
    assert.match(exists.stderr, /exists already/);
    assert.equal(existsSync(join(tmp, 'nowhere', 'x.db')), false);
    assert.equal(gmgui(['backup', '--data-dir', s.dataDir, join(tmp, 'nowhere', 'x.db')]).code, 2);
  });
});

const pgSkip = await pgSkipReason();

describe('on PostgreSQL', { skip: pgSkip }, () => {
  const db = usePgDatabase('verify');
  const s = useServer(() => ({ env: { DATABASE_URL: db.url } }));

  test('verify finds a changed row (exit 8); backup points to pg_dump (exit 9)', async () => {
    const id = await newConversation(s);
    await turn(s, id, '/quick on pg');
    const ok = gmgui(['verify', '--database-url', db.url]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    await sql(db.url, `UPDATE conversations SET title = 'tampered' WHERE id = '${id}'`);
    const bad = gmgui(['verify', '--database-url', db.url]);
    assert.equal(bad.code, 8, bad.stdout + bad.stderr);
    assert.match(bad.stdout, new RegExp(`^DIFF  conversation ${id}: title is "tampered" in the table`, 'm'));
    const b = gmgui(['backup', '--database-url', db.url, join(tmp, 'pg.db')]);
    assert.equal(b.code, 9);
    assert.match(b.stdout, /pg_dump --format=custom --file/);
    assert.equal(existsSync(join(tmp, 'pg.db')), false);
  });
});
