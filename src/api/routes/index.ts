import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ROOT_DIR } from '../../root-dir.ts';
import { webStaticPlugin } from '../web-static.ts';
import { websocketGateway } from '../ws/gateway.ts';
import { agentSessionRoutes } from './agent-sessions.ts';
import { agentRoutes } from './agents.ts';
import { conversationRoutes } from './conversations.ts';
import { eventRoutes } from './events.ts';
import { fileRoutes } from './files.ts';
import { forkRoutes } from './fork.ts';
import { healthRoutes } from './health.ts';
import { historyTransferRoutes } from './history-transfer.ts';
import { messageRoutes } from './messages.ts';
import { metricsRoutes } from './metrics.ts';
import { pushRoutes } from './push.ts';
import { sessionActionRoutes } from './session-actions.ts';
import { sessionRoutes } from './sessions.ts';
import { workspaceCheckpointRoutes } from './workspace-checkpoints.ts';
import { workspaceFileRoutes } from './workspace-files.ts';
import { workspaceTerminalRoutes } from './workspace-terminals.ts';

export type RoutePlugin = (app: FastifyInstance) => Promise<void>;

export interface RouteOptions {
  /** The built web app; default `web/dist` of the project folder. */
  webDistDir?: string;
}

/**
 * Every route plugin of the server, in one list: buildApp registers them under BASE_URL, in this order,
 * after access control and error handling. A new area adds its plugin here and nowhere else. The web
 * app comes last: its SPA fallback answers the GETs no other plugin claimed.
 */
export function routePlugins(opts: RouteOptions = {}): RoutePlugin[] {
  const distDir = opts.webDistDir ?? join(ROOT_DIR, 'web', 'dist');
  return [
    healthRoutes,
    metricsRoutes,
    conversationRoutes,
    historyTransferRoutes,
    messageRoutes,
    sessionRoutes,
    sessionActionRoutes,
    eventRoutes,
    agentRoutes,
    agentSessionRoutes,
    forkRoutes,
    fileRoutes,
    pushRoutes,
    workspaceFileRoutes,
    workspaceCheckpointRoutes,
    // Terminal sockets need the gateway's @fastify/websocket, so they are registered in its plugin.
    (app) => websocketGateway(app).then(() => workspaceTerminalRoutes(app)),
    (app) => webStaticPlugin(app, { distDir }),
  ];
}
