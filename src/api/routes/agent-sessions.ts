import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AgentSessions } from '../../agent-sessions/agent-sessions.ts';
import { errors } from '../../domain/errors.ts';
import { folderInside } from '../../domain/paths.ts';
import { parse, pathIds } from '../validate.ts';

// The agent's own sessions (CONTRACT "The agent's own sessions and forks"): the list the agent gives (ACP session/list), the
// import of one as a conversation that goes on in the same agent session, and deleting one. The
// folder is confined like a conversation's (`cwd` inside GMGUI_ROOTS, no link leading out).

const ListQuery = z.object({
  cwd: z.string().min(1).max(4096).optional(),
  cursor: z.string().min(1).max(4096).optional(),
});
const ImportBody = z
  .object({
    sessionId: z.string().min(1).max(1000),
    cwd: z.string().min(1).max(4096).optional(),
    title: z.string().max(500).optional(),
  })
  .strict();
const DeleteQuery = z.object({ cwd: z.string().min(1).max(4096).optional() });

export async function agentSessionRoutes(app: FastifyInstance): Promise<void> {
  const { config, agents, runner } = app.ctx;

  const service = (id: string): AgentSessions => {
    if (!agents.has(id)) throw errors.notFound(`The agent "${id}"`);
    const s = runner.agentSessions?.();
    if (!s) throw errors.agentFailed('Agent sessions cannot be reached on this server.');
    return s;
  };

  app.get('/api/agents/:id/sessions', async (req) => {
    const { id } = pathIds(req, 'id');
    const q = parse(ListQuery, req.query ?? {}, 'query');
    const s = service(id);
    const cwd = await folderInside(q.cwd ?? config.roots[0], config.roots);
    return s.list(id, { cwd, ...(q.cursor ? { cursor: q.cursor } : {}) });
  });

  app.post('/api/agents/:id/sessions/import', async (req, reply) => {
    const { id } = pathIds(req, 'id');
    const body = parse(ImportBody, req.body ?? {});
    const s = service(id);
    const cwd = await folderInside(body.cwd ?? config.roots[0], config.roots);
    const r = await s.import(id, {
      sessionId: body.sessionId,
      cwd,
      ...(body.title ? { title: body.title } : {}),
    });
    return reply.code(r.created ? 201 : 200).send(r);
  });

  app.delete('/api/agents/:id/sessions/:sessionId', async (req) => {
    const { id } = pathIds(req, 'id');
    const sessionId = parse(
      z.string().min(1).max(1000),
      (req.params as { sessionId?: unknown }).sessionId,
      'path parameter "sessionId"',
    );
    const q = parse(DeleteQuery, req.query ?? {}, 'query');
    const s = service(id);
    const cwd = await folderInside(q.cwd ?? config.roots[0], config.roots);
    await s.delete(id, { sessionId, cwd });
    return { deleted: true };
  });
}
