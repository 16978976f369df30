import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { silentLog } from '../agents/log.ts';
import { AgentAccess } from '../agents/agent-access.ts';
import { loadAgentRegistry } from '../agents/registry.ts';
import type { AgentInfo } from '../agents/types.ts';
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

/** The agents: which are there, and with `probe`, each one started to tell its version and sign-in. */
async function agents(config: Config, probe: boolean): Promise<Finding[]> {
  let registry: Awaited<ReturnType<typeof loadAgentRegistry>>;
  try {
    registry = await loadAgentRegistry(config, silentLog);
  } catch (e) {
    return [fail(`agents: ${(e as Error).message}`)];
  }
  const available = registry.list().filter((a) => a.available);
  const findings = [ok(`agents available: ${available.map((a) => a.id).join(', ')}`)];
  if (probe) await new AgentAccess({ config, agents: registry, log: silentLog }).probeAll();
  for (const a of registry.list()) findings.push(agentFinding(a, probe));
  return findings;
}

function agentFinding(a: AgentInfo, probed: boolean): Finding {
  const name = `agent ${a.id} (${a.name})`;
  if (!a.available)
    return info(
      `${name}: not found${a.reason ? ` (${a.reason})` : ''}${a.install ? `; install: ${a.install}` : ''}`,
    );
  if (!probed)
    return info(`${name}: found ("gmgui doctor --probe" starts it to check its version and sign-in)`);
  const version = a.version ? ` ${a.version}` : '';
  if (a.needsSignIn === true) {
    const how = (a.authMethods ?? []).map((m) => m.terminal?.commandLine ?? m.name).join(' or ');
    return fail(`${name}${version}: needs signing in${how ? ` (${how})` : ''}`);
  }
  // Still unknown after the probe: it did not start, or did not answer in time.
  if (a.needsSignIn === null) return fail(`${name}: found but did not start or answer (see "gmgui start" logs)`);
  return ok(`${name}${version}: starts, signed in or needs no sign-in`);
}

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'Check this installation: Node, web app, data directory, database, agents',
  help: `Checks what a start needs, without starting and without changing anything, one line per check.

Flags (as for "gmgui start"; each means the same as its environment variable):
${settingsHelp(['data-dir', 'database-url', 'agents-file'])}
  --probe                    also start each agent found: its version, and whether it needs signing in

Exit codes: 0 every check passed; 1 a check failed (the line says which); 2 bad setting.`,
  options: { ...settingOptions(['data-dir', 'database-url', 'agents-file']), probe: { type: 'boolean' } },
  async run(values) {
    const config = loadConfig(envWithFlags(values));
    const findings = [
      nodeVersion(),
      webApp(),
      dataDir(config.dataDir),
      await server(config.dataDir),
      await database(config),
      ...(await agents(config, values.probe === true)),
    ];
    for (const f of findings) say(`${f.ok === null ? 'info' : f.ok ? 'ok  ' : 'FAIL'}  ${f.text}`);
    return findings.some((f) => f.ok === false) ? EXIT.failed : EXIT.ok;
  },
};
