import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { resolvePermission } from '../../commands/permissions.ts';
import { requestCancel } from '../../commands/runner-cancel.ts';
import { requestConfig, requestMode } from '../../commands/agent-settings.ts';
import { Id, parse, pathIds } from '../validate.ts';

// Actions on a running turn and on a conversation's agent. All only write to the store; the runner
// holding the session or the agent (in this process or another instance) reads the event and acts.

const PermissionBody = z.object({ optionId: z.string().min(1).max(500) }).strict();
const ModeBody = z.object({ modeId: Id }).strict();
// Booleans are accepted as such or as "true"/"false"; kept as strings in `settings.configValues`.
const ConfigBody = z
  .object({ configId: Id, value: z.union([z.string().min(1).max(500), z.boolean()]) })
  .strict();

export async function sessionActionRoutes(app: FastifyInstance): Promise<void> {
  const { store, runner } = app.ctx;

  // 200 when the session is already cancelled (it had not started), 202 when the runner will stop it.
  app.post('/api/sessions/:id/cancel', async (req, reply) => {
    const { id } = pathIds(req, 'id');
    const r = await store.transaction((tx) => requestCancel(tx, id));
    if (r.state === 'cancelled') runner.wake();
    return reply.code(r.state === 'cancelled' ? 200 : 202).send({ session: r.session, cancel: r.state });
  });

  app.post('/api/sessions/:id/permissions/:requestId', async (req) => {
    const { id, requestId } = pathIds(req, 'id', 'requestId');
    const { optionId } = parse(PermissionBody, req.body ?? {});
    const permission = await store.transaction((tx) =>
      resolvePermission(tx, { sessionId: id, requestId, optionId }),
    );
    return { permission };
  });

  // The conversation's agent mode. 200 with the conversation once the choice is recorded; the agent
  // confirms with a `mode` event (at once when it runs, else when its session next opens).
  app.post('/api/conversations/:id/mode', async (req) => {
    const { id } = pathIds(req, 'id');
    const { modeId } = parse(ModeBody, req.body ?? {});
    const conversation = await store.transaction((tx) => requestMode(tx, id, modeId));
    return { conversation };
  });

  // One of the agent's session config options, the same way: recorded, then applied by the runner;
  // the agent confirms with a `config` event.
  app.post('/api/conversations/:id/config', async (req) => {
    const { id } = pathIds(req, 'id');
    const { configId, value } = parse(ConfigBody, req.body ?? {});
    const conversation = await store.transaction((tx) => requestConfig(tx, id, configId, String(value)));
    return { conversation };
  });
}
