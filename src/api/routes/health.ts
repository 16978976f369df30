import type { FastifyInstance } from 'fastify';

// GET /api/health: answers without a token (access.ts lets it through) once the server takes requests.
export async function healthRoutes(app: FastifyInstance): Promise<void> {
  const { config } = app.ctx;
  app.get('/api/health', async () => ({ ok: true, store: config.databaseUrl ? 'postgres' : 'sqlite' }));
}
