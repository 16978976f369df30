import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { silentLog } from '../agents/log.ts';
import { loadAgentRegistry } from '../agents/registry.ts';
import { type Config, loadConfig } from '../config.ts';
import { ROOT_DIR } from '../root-dir.ts';
import { SQLITE_FILE } from '../store/open.ts';
import { type Command, say } from './command.ts';
import { lockState } from './data-lock.ts';
import { EXIT } from './exit-codes.ts';
import { envWithFlags, settingOptions, settingsHelp } from './settings.ts';

// `gmgui doctor`: what a start needs, checked without starting and without changing anything (no file
// is created, no database is migrated), each finding on one line.

type Finding = { ok: boolean | null; text: string };
const ok = (text: string): Finding => ({ ok: true, text });
const fail = (text: string): Finding => ({ ok: false, text });
const info = (text: string): Finding => ({ ok: null, text });
const why = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

function nodeVersion(): Finding {
  const pkg = JSON.parse(readFileSync(join(ROOT_DIR, 'package.json'), 'utf8')) as {
    engines?: { node?: string };
  };
  const range = pkg.engines?.node ?? '';
  const min = /^>=\s*(\d+)\.(\d+)/.exec(range);
  const [major, minor] = process.versions.node.split('.').map(Number);
  const good = !min || major > Number(min[1]) || (major === Number(min[1]) && minor >= Number(min[2]));
  const text = `Node ${process.versions.node} (gmgui needs ${range || 'any'})`;
  return good ? ok(text) : fail(text);
}

function webApp(): Finding {
  const index = join(ROOT_DIR, 'web', 'dist', 'index.html');
  return existsSync(index)
    ? ok(`web app built (${dirname(index)})`)
    : fail(`the web app is not built (${dirname(index)}): "npm start" in a checkout builds it`);
}

function dataDir(dir: string): Finding {
  let probe = dir;
  while (!existsSync(probe) && dirname(probe) !== probe) probe = dirname(probe);
  try {
    accessSync(probe, constants.W_OK);
  } catch (e) {
    return fail(`data directory ${dir}: not writable (${why(e)})`);
  }
  return ok(probe === dir ? `data directory ${dir} is writable` : `data directory ${dir} will be created`);
}

async function server(dir: string): Promise<Finding> {
  const state = await lockState(dir);
  if (!state.held) return info('no gmgui server is running on this data directory');
  return info(`a gmgui server is running on this data directory (pid ${state.pid ?? 'unknown'})`);
}

async function database(config: Config): Promise<Finding> {
  if (config.databaseUrl) {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: config.databaseUrl, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return ok('PostgreSQL is reachable');
    } catch (e) {
      return fail(`PostgreSQL is not reachable: ${(e as Error).message}`);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  const file = join(config.dataDir, SQLITE_FILE);
  if (!existsSync(file)) return info(`SQLite database ${file} will be created at the first start`);
  let db: Database.Database | null = null;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, timeout: 2000 });
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return ok(`SQLite database ${file} opens (the full check runs at each start)`);
  } catch (e) {
    return fail(`SQLite database ${file} cannot be read: ${(e as Error).message}`);
  } finally {
    db?.close();
  }
}

async function agents(config: Config): Promise<Finding> {
  try {
    const registry = await loadAgentRegistry(config, silentLog);
    const available = registry.list().filter((a) => a.available);
    return ok(`agents available: ${available.map((a) => a.id).join(', ')}`);
  } catch (e) {
    return fail(`agents: ${(e as Error).message}`);
  }
}

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'Check this installation: Node, web app, data directory, database, agents',
  help: `Checks what a start needs, without starting and without changing anything, one line per check.

Flags (as for "gmgui start"; each means the same as its environment variable):
${settingsHelp(['data-dir', 'database-url', 'agents-file'])}

Exit codes: 0 every check passed; 1 a check failed (the line says which); 2 bad setting.`,
  options: settingOptions(['data-dir', 'database-url', 'agents-file']),
  async run(values) {
    const config = loadConfig(envWithFlags(values));
    const findings = [
      nodeVersion(),
      webApp(),
      dataDir(config.dataDir),
      await server(config.dataDir),
      await database(config),
      await agents(config),
    ];
    for (const f of findings) say(`${f.ok === null ? 'info' : f.ok ? 'ok  ' : 'FAIL'}  ${f.text}`);
    return findings.some((f) => f.ok === false) ? EXIT.failed : EXIT.ok;
  },
};
