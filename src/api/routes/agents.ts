import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { errors } from '../../domain/errors.ts';
import { Id, parse, pathIds } from '../validate.ts';

// GET /api/agents: every agent gmgui knows, available or not and why, with what it told us about
// itself (version, capabilities, sign-in methods) once it has been started, and whether it needs
// signing in. POST /api/agents/{id}/authenticate signs one in (CONTRACT section 11).

const ListQuery = z.object({ probe: z.enum(['0', '1', 'true', 'false']).optional() });
const AuthBody = z.object({ methodId: Id }).strict();

export async function agentRoutes(app: FastifyInstance): Promise<void> {
  const { agents, runner } = app.ctx;

  // `?probe=1` first starts the available agents whose sign-in state is unknown, to find it out.
  app.get('/api/agents', async (req) => {
    const { probe } = parse(ListQuery, req.query ?? {}, 'query');
    if ((probe === '1' || probe === 'true') && runner.probeAgents) await runner.probeAgents();
    return { agents: agents.list() };
  });

  app.post('/api/agents/:id/authenticate', async (req) => {
    const { id } = pathIds(req, 'id');
    const { methodId } = parse(AuthBody, req.body ?? {});
    if (!agents.has(id)) throw errors.notFound(`The agent "${id}"`);
    if (!runner.authenticate) throw errors.agentFailed('Agents cannot be signed in on this server.');
    await runner.authenticate(id, methodId);
    return { agent: agents.list().find((a) => a.id === id) };
  });
}
