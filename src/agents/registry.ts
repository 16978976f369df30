import { existsSync } from 'node:fs';
import { access, constants, readFile } from 'node:fs/promises';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { type Config, ConfigError } from '../config.ts';
import { parseAuthMethods } from './auth-methods.ts';
import { KNOWN_AGENTS } from './known-agents.ts';
import type { AgentLog } from './log.ts';
import { McpFileSchema, type McpServerConfig, McpServerSchema } from './mcp-servers.ts';
import { ROOT_DIR } from '../root-dir.ts';
import type { AgentInfo, AgentRegistry, AgentSpec, InitInfo } from './types.ts';

// Which agents exist (CONTRACT section 6): the built-in demo, known agents found on PATH, and the
// agents file, which adds agents or overrides any of the others by id.

const DEMO_MAIN = join(ROOT_DIR, 'src', 'agents', 'demo', 'main.ts');
/** Beside the server bundle (dist/server/, scripts/build-server-if-needed.mjs), the demo's own bundle. */
const DEMO_BUNDLE = join(dirname(fileURLToPath(import.meta.url)), 'demo-agent.mjs');

/**
 * By absolute path, so the demo starts whatever the server's working directory: its bundle when the
 * server runs from dist/ (an installed package has no tsx), else its source under tsx.
 */
export function demoSpec(): AgentSpec {
  return {
    id: 'demo',
    name: 'Demo agent',
    command: process.execPath,
    args: existsSync(DEMO_BUNDLE) ? [DEMO_BUNDLE] : ['--import', import.meta.resolve('tsx'), DEMO_MAIN],
    env: {},
    // Its own pacing settings (src/agents/demo/main.ts): agents get no GMGUI_* variable otherwise.
    passEnv: ['GMGUI_DEMO_STEP_MS', 'GMGUI_DEMO_LONG_MS', 'GMGUI_DEMO_LONG_CHUNKS'],
  };
}

const AgentsFileSchema = z.object({
  agents: z.array(
    z.object({
      id: z
        .string()
        .regex(/^[A-Za-z0-9][\w.-]{0,63}$/, 'an id is letters, digits, ".", "_" or "-" (at most 64)'),
      name: z.string().min(1).max(100).optional(),
      command: z.string().min(1),
      args: z.array(z.string()).default([]),
      env: z.record(z.string(), z.string()).default({}),
      passEnv: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a variable name')).default([]),
      mcpServers: z.array(McpServerSchema).default([]),
    }),
  ),
});

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The absolute path of `command` on PATH (or as given when it contains a slash), or null. */
export async function findExecutable(command: string, pathEnv: string, base: string): Promise<string | null> {
  if (command.includes('/')) {
    const p = isAbsolute(command) ? command : resolve(base, command);
    return (await isExecutable(p)) ? p : null;
  }
  for (const dir of pathEnv.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, command);
    if (await isExecutable(p)) return p;
  }
  return null;
}

interface Entry {
  spec: AgentSpec;
  info: AgentInfo;
}

export interface LoadedRegistry extends AgentRegistry {
  noteInitialized: NonNullable<AgentRegistry['noteInitialized']>;
  noteSignIn: NonNullable<AgentRegistry['noteSignIn']>;
  info: NonNullable<AgentRegistry['info']>;
}

/** A JSON file of the settings, read and checked with its schema; any problem is a ConfigError. */
async function readJsonFile<T>(setting: string, path: string, schema: z.ZodType<T>, expected: string): Promise<T> {
  const file = resolve(path);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${setting} ${file} could not be read as JSON: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(
      `${setting} ${file} is not valid at "${issue?.path.join('.')}": ${issue?.message}. Expected ${expected}.`,
    );
  }
  return parsed.data;
}

export async function loadAgentRegistry(
  config: Config,
  log: AgentLog,
  // PATH is read here rather than through Config: it is the process's own lookup path, the same
  // one `spawn` would use.
  pathEnv: string = process.env.PATH ?? '',
): Promise<LoadedRegistry> {
  const entries = new Map<string, Entry>();
  // MCP servers every agent gets (CONTRACT section 11); an agent's own come after them.
  const globalMcp: McpServerConfig[] = config.mcpFile
    ? (await readJsonFile('GMGUI_MCP_FILE', config.mcpFile, McpFileSchema, '{"mcpServers":[{"name","command","args","env"}]}')).mcpServers
    : [];
  const demo = { ...demoSpec(), mcpServers: globalMcp };
  entries.set('demo', {
    spec: demo,
    info: { id: 'demo', name: demo.name, available: true, version: '1.0.0', needsSignIn: false, source: 'builtin' },
  });

  for (const k of KNOWN_AGENTS) {
    let found: string | null = null;
    for (const bin of k.binaries) {
      found = await findExecutable(bin, pathEnv, process.cwd());
      if (found) break;
    }
    entries.set(k.id, {
      spec: { id: k.id, name: k.name, command: found ?? k.binaries[0], args: k.args, env: {}, mcpServers: globalMcp },
      info: found
        ? { id: k.id, name: k.name, available: true, needsSignIn: null, source: 'path' }
        : {
            id: k.id,
            name: k.name,
            available: false,
            reason: `${k.binaries.join(' or ')} was not found on PATH.`,
            install: k.install,
            needsSignIn: null,
            source: 'path',
          },
    });
  }

  if (config.agentsFile) {
    const file = resolve(config.agentsFile);
    const parsed = await readJsonFile(
      'GMGUI_AGENTS_FILE',
      file,
      AgentsFileSchema,
      '{"agents":[{"id","name","command","args","env"}]}',
    );
    for (const a of parsed.agents) {
      // Relative commands and paths in the file are relative to the file, not to the server's cwd.
      const found = await findExecutable(a.command, pathEnv, dirname(file));
      const name = a.name ?? a.id;
      entries.set(a.id, {
        spec: {
          id: a.id,
          name,
          command: found ?? a.command,
          args: a.args,
          env: a.env,
          passEnv: a.passEnv,
          mcpServers: [...globalMcp, ...a.mcpServers],
        },
        info: found
          ? { id: a.id, name, available: true, needsSignIn: null, source: 'file' }
          : {
              id: a.id,
              name,
              available: false,
              reason: `The command "${a.command}" was not found.`,
              needsSignIn: null,
              source: 'file',
            },
      });
    }
  }

  const available = [...entries.values()].filter((e) => e.info.available).map((e) => e.info.id);
  log.info({ available }, 'agents loaded');

  return {
    list: () => [...entries.values()].map((e) => ({ ...e.info })),
    get: (id) => entries.get(id)?.spec,
    has: (id) => entries.has(id),
    info: (id) => {
      const e = entries.get(id);
      return e ? { ...e.info } : undefined;
    },
    noteInitialized(id: string, init: InitInfo) {
      const e = entries.get(id);
      if (!e) return;
      e.info = {
        ...e.info,
        available: true,
        capabilities: init.agentCapabilities ?? {},
        authMethods: parseAuthMethods(init.authMethods, e.spec),
        ...(init.agentInfo?.version ? { version: init.agentInfo.version } : {}),
      };
      delete e.info.reason;
      delete e.info.install;
    },
    noteSignIn(id, needsSignIn) {
      const e = entries.get(id);
      if (e) e.info = { ...e.info, needsSignIn };
    },
  };
}
