import type * as acp from '@agentclientprotocol/sdk';
import { z } from 'zod';

// MCP servers gmgui hands an agent when it opens a session (ACP `mcpServers` of session/new, load and
// resume): the global list (GMGUI_MCP_FILE) plus the agent's own (`mcpServers` of its entry in the
// agents file), as the agent's `mcpCapabilities` allow: stdio servers always, http and sse only when
// the agent said it takes them (CONTRACT section 11).

const Name = z.string().min(1).max(100);
const Pairs = z.record(z.string(), z.string()).default({});

/** One MCP server as the agents file and GMGUI_MCP_FILE write it. */
export const McpServerSchema = z.union([
  z
    .object({
      name: Name,
      type: z.literal('stdio').optional(),
      command: z.string().min(1),
      args: z.array(z.string()).default([]),
      env: Pairs,
    })
    .strict(),
  z.object({ name: Name, type: z.enum(['http', 'sse']), url: z.string().url(), headers: Pairs }).strict(),
]);
export type McpServerConfig = z.infer<typeof McpServerSchema>;

/** GMGUI_MCP_FILE: `{"mcpServers":[…]}`. */
export const McpFileSchema = z.object({ mcpServers: z.array(McpServerSchema) }).strict();

const pairs = (r: Record<string, string>) => Object.entries(r).map(([name, value]) => ({ name, value }));

/** The servers in ACP's shape, those the agent cannot take left out. A later one of the same name wins. */
export function acpMcpServers(
  servers: readonly McpServerConfig[],
  caps: acp.McpCapabilities | null | undefined,
): acp.McpServer[] {
  const byName = new Map<string, acp.McpServer>();
  for (const s of servers) {
    if ('url' in s) {
      if (!caps?.[s.type]) continue;
      byName.set(s.name, { type: s.type, name: s.name, url: s.url, headers: pairs(s.headers) });
    } else {
      byName.set(s.name, { name: s.name, command: s.command, args: s.args, env: pairs(s.env) });
    }
  }
  return [...byName.values()];
}
