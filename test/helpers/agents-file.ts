import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './temp.ts';

// Agents files (CONTRACT section 6) for tests: the agents a server may run besides the demo.

export interface AgentEntry {
  id: string;
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
}

export const TSX = import.meta.resolve('tsx');

/** An agent that is a TypeScript file run by this Node under tsx (the test fixtures). */
export function tsAgent(
  id: string,
  name: string,
  file: string,
  args: string[] = [],
  env: Record<string, string> = {},
): AgentEntry {
  return { id, name, command: process.execPath, args: ['--import', TSX, file, ...args], env };
}

/**
 * Writes an agents file with these agents to a temp folder (removed when the test process exits) and
 * returns the server settings that point at it: `useServer({ env: withAgentsFile([...]) })`.
 */
export function withAgentsFile(agents: AgentEntry[]): { GMGUI_AGENTS_FILE: string } {
  const file = join(tempDir('gmgui-agents-'), 'agents.json');
  writeFileSync(file, JSON.stringify({ agents }));
  return { GMGUI_AGENTS_FILE: file };
}

/**
 * A project folder `proj` (with `subdir` made inside it) under a new temporary server root, and the
 * server settings that offer the file-editing fixture agent (test/fixtures/agents/editor-agent.ts) as
 * `editor`: what the checkpoint and workspace tests run against. Paths are real (no symlinks), as the
 * server reports them.
 */
export function editorProject(
  prefix: string,
  subdir = '',
): { rootDir: string; proj: string; env: { GMGUI_AGENTS_FILE: string } } {
  const rootDir = realpathSync(tempDir(prefix));
  const proj = join(rootDir, 'proj');
  mkdirSync(join(proj, subdir), { recursive: true });
  const editor = join(import.meta.dirname, '..', 'fixtures', 'agents', 'editor-agent.ts');
  return { rootDir, proj, env: withAgentsFile([tsAgent('editor', 'Editor', editor)]) };
}
