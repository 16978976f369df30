import type { FastifyInstance } from 'fastify';

// GET /api/agents: every agent gmgui knows, available or not and why, with what it told us about
// itself (version, capabilities) once it has been started.
export async function agentRoutes(app: FastifyInstance): Promise<void> {
  app.get('/api/agents', async () => ({ agents: app.ctx.agents.list() }));
}
