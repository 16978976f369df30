import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  readdirSync,
  readFileSync,
  statSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { createConversation } from '../../src/commands/conversations.ts';
import { SQLITE_FILE } from '../../src/store/open.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { newToken, ROOT, serverCommand, serverEnv, startServer } from '../helpers/server.ts';
import { tempDir } from '../helpers/temp.ts';

// The SQLite file at start, through the shipped server (the bundle `npm start` runs) and real files:
// a damaged database is refused with exit 6 and its bytes untouched; a full disk is exit 3; the data
// files are 0600 whatever the data dir's mode (README: exit codes).

const run = promisify(execFile);

/** Runs the server until it exits (for start-up failures): its exit code and everything it printed. */
async function runToExit(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<{ code: number; out: string }> {
  const [command, ...args] = serverCommand();
  const dirs = { dataDir, rootDir: tempDir('gmgui-root-') };
  const options = {
    cwd: ROOT,
    env: { ...process.env, ...serverEnv(dirs, { token: newToken(), env }) },
    // A server that starts instead of refusing never exits by itself: killed, and the test fails.
    timeout: 30_000,
  };
  try {
    const r = await run(command, args, options);
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const failed = e as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw e;
    return { code: failed.code, out: `${failed.stdout}${failed.stderr}` };
  }
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The database's own files in a data dir (what a damaged start must leave exactly as it was). */
const dbFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.startsWith(SQLITE_FILE))
    .sort();

/** A data dir with a real database of 60 conversations, written by the store and closed cleanly. */
async function seededDataDir(): Promise<string> {
  const dir = tempDir('gmgui-seed-');
  const store = openSqliteStore({ file: join(dir, SQLITE_FILE) });
  for (let i = 0; i < 60; i++) {
    await store.transaction((t) =>
      createConversation(t, { agentId: 'demo', title: `Conversation ${i} ${'x'.repeat(300)}`, cwd: '/work' }),
    );
  }
  await store.close();
  return dir;
}

interface Layout {
  pageSize: number;
  /** A leaf page of the conversations table (1-based page number). */
  leaf: number;
}

function layout(file: string): Layout {
  const db = new Database(file, { readonly: true });
  try {
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const row = db
      .prepare<[], { pageno: number }>(
        "SELECT pageno FROM dbstat WHERE name = 'conversations' AND pagetype = 'leaf' ORDER BY pageno LIMIT 1",
      )
      .get();
    assert.ok(row, 'the seeded table spans several pages');
    return { pageSize, leaf: row.pageno };
  } finally {
    db.close();
  }
}

/** Ways a database file gets damaged: each edits the bytes of `file` in place. */
const DAMAGE: Array<[string, (bytes: Buffer, l: Layout) => Buffer]> = [
  [
    'a page of a table overwritten with zeros (cell contents gone)',
    (b, l) => b.fill(0, (l.leaf - 1) * l.pageSize + 100, l.leaf * l.pageSize - 100),
  ],
  [
    'a b-tree page header with an impossible cell count',
    (b, l) => {
      b.writeUInt16BE(0x7fff, (l.leaf - 1) * l.pageSize + 3);
      return b;
    },
  ],
  ['the file header magic overwritten', (b) => b.fill(0x41, 0, 16)],
  [
    'the header page size made invalid',
    (b) => {
      b.writeUInt16BE(3, 16);
      return b;
    },
  ],
  ['the file cut to half its length', (b) => b.subarray(0, b.length / 2)],
];

describe('a damaged database is refused at start, and left as it was', () => {
  test('an intact copy starts and serves (the check does not refuse a good file)', async () => {
    const dir = await seededDataDir();
    const s = await startServer({ dataDir: dir });
    try {
      const r = await s.api('GET', '/api/conversations');
      assert.equal(r.status, 200);
      assert.equal(r.body.conversations.length, 60);
    } finally {
      await s.stop();
      await s.cleanup();
    }
  });

  for (const [what, damage] of DAMAGE) {
    test(`${what}: exit 6 with one sentence, the bytes unchanged`, async () => {
      const seed = await seededDataDir();
      const dir = tempDir('gmgui-damaged-');
      cpSync(seed, dir, { recursive: true });
      const file = join(dir, SQLITE_FILE);
      const l = layout(file);
      writeFileSync(file, damage(readFileSync(file), l));
      const before = { hash: sha256(file), files: dbFiles(dir), mtime: statSync(file).mtimeMs };

      const r = await runToExit(dir);
      assert.equal(r.code, 6, r.out);
      assert.match(
        r.out,
        /^gmgui: The database .*gmgui\.db is damaged \(.+\); gmgui changed nothing in it: .+\.\n$/m,
      );
      assert.doesNotMatch(r.out, /\n\s+at /, 'no stack trace, just the sentence');
      assert.doesNotMatch(r.out, /is ready/);
      assert.equal(sha256(file), before.hash, 'not one byte changed');
      assert.equal(statSync(file).mtimeMs, before.mtime);
      assert.deepEqual(dbFiles(dir), before.files, 'no -wal or -shm left behind');

      // A second start says the same: nothing was "repaired" or re-initialised in between.
      const again = await runToExit(dir);
      assert.equal(again.code, 6, again.out);
      assert.equal(sha256(file), before.hash);
    });
  }
});

describe('data files are private', () => {
  test('gmgui.db, -wal, -shm and token are 0600 in a data dir that already existed 0755, and made so again', async () => {
    const dir = tempDir('gmgui-open-');
    chmodSync(dir, 0o755);
    const files = [SQLITE_FILE, `${SQLITE_FILE}-wal`, `${SQLITE_FILE}-shm`, 'token'];
    const modes = () =>
      Object.fromEntries(files.map((f) => [f, (statSync(join(dir, f)).mode & 0o777).toString(8)]));
    const allPrivate = Object.fromEntries(files.map((f) => [f, '600']));

    // No GMGUI_TOKEN: the server keeps its token in the data dir.
    const first = await startServer({ dataDir: dir, env: { GMGUI_TOKEN: '' } });
    try {
      assert.deepEqual(modes(), allPrivate, 'created private');
    } finally {
      await first.kill9();
    }
    // Files from an older gmgui, or loosened by hand: narrowed again at the next start.
    for (const f of files) chmodSync(join(dir, f), 0o644);
    const second = await startServer({ dataDir: dir, env: { GMGUI_TOKEN: '' } });
    try {
      assert.deepEqual(modes(), allPrivate, 'narrowed at start');
      const token = readFileSync(join(dir, 'token'), 'utf8').trim();
      const health = await fetch(`${second.base}/api/conversations`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(health.status, 200, 'the kept token still works');
    } finally {
      await second.stop();
    }
    assert.equal((statSync(dir).mode & 0o777).toString(8), '755', "the folder's own mode is the user's");
  });
});

/** A tmpfs of `size` mounted on a new folder, or null when this process may not mount (not root). */
function mountTmpfs(size: string): string | null {
  const dir = tempDir('gmgui-tmpfs-');
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  return r.status === 0 ? dir : null;
}

const probeMount = mountTmpfs('64k');
if (probeMount) spawnSync('umount', [probeMount]);
const cannotMount = probeMount
  ? false
  : 'needs permission to mount a tmpfs (run as root) to fill a disk for real';

describe('a full disk at start', { skip: cannotMount }, () => {
  test('nearly full (the write probe fits, the database does not): exit 3; after room is made, it starts', async () => {
    const mnt = mountTmpfs('1m');
    assert.ok(mnt);
    try {
      const data = join(mnt, 'data');
      const filler = join(mnt, 'filler');
      // Leave 16 KiB: room for the data dir and its write probe, not for a new database and its WAL.
      const free = () => {
        const s = statfsSync(mnt);
        return s.bavail * s.bsize;
      };
      writeFileSync(filler, Buffer.alloc(free() - 16 * 1024));
      const r = await runToExit(data);
      assert.equal(r.code, 3, r.out);
      assert.match(
        r.out,
        /^gmgui: The data directory .*data is not writable \([A-Z_]+: the disk is full\)\./m,
      );
      assert.doesNotMatch(r.out, /\n\s+at /, 'no stack trace, just the sentence');

      // Completely full: the probe itself fails, same code.
      writeFileSync(join(mnt, 'filler-2'), Buffer.alloc(Math.max(0, free())));
      const full = await runToExit(data);
      assert.equal(full.code, 3, full.out);
      assert.match(full.out, /not writable \(ENOSPC: the disk is full\)/);

      // Room again: whatever the failed starts left behind opens as a new database.
      spawnSync('rm', ['-f', filler, join(mnt, 'filler-2')]);
      const s = await startServer({ dataDir: data });
      try {
        assert.equal((await s.api('GET', '/api/conversations')).status, 200);
        assert.ok(existsSync(join(data, SQLITE_FILE)));
      } finally {
        await s.stop();
      }
    } finally {
      spawnSync('umount', ['-l', mnt]);
    }
  });
});
