import type { FastifyInstance } from 'fastify';
import type WebSocket from 'ws';
import { z } from 'zod';
import { errors } from '../../domain/errors.ts';
import { TerminalManager } from '../../workspace/terminals/manager.ts';
import { parse, pathIds } from '../validate.ts';

// Terminals (docs/CONTRACT.md section 9, "Terminals"): REST to list, open and close them, and a
// WebSocket to attach. Registered inside the WebSocket gateway's plugin (routes/index.ts), where
// @fastify/websocket is, so the upgrade goes through the same access checks, heartbeat-free but with
// the same shutdown (every socket closed before the server stops).

const CreateBody = z
  .object({
    cols: z.number().int().min(2).max(500).default(80),
    rows: z.number().int().min(1).max(200).default(24),
  })
  .strict();

const ClientFrame = z.discriminatedUnion('op', [
  z.object({ op: z.literal('input'), data: z.string().max(64 * 1024) }),
  z.object({
    op: z.literal('resize'),
    cols: z.number().int().min(2).max(500),
    rows: z.number().int().min(1).max(200),
  }),
]);

const CLOSE_INVALID = 4400;
const CLOSE_NOT_FOUND = 4404;

export async function workspaceTerminalRoutes(app: FastifyInstance): Promise<void> {
  const { store, config } = app.ctx;
  const manager = new TerminalManager(store, config.roots, app.log);
  await manager.start();
  app.addHook('onClose', () => manager.stop());

  const known = async (id: string) => {
    if (!(await store.getConversation(id))) throw errors.notFound('Conversation');
  };

  app.get('/api/conversations/:id/terminals', async (req) => {
    const { id } = pathIds(req, 'id');
    await known(id);
    return { terminals: manager.list(id).map((t) => t.info()) };
  });

  app.post('/api/conversations/:id/terminals', async (req, reply) => {
    const { id } = pathIds(req, 'id');
    const { cols, rows } = parse(CreateBody, req.body ?? {});
    const t = await manager.create(id, cols, rows);
    return reply.code(201).send({ terminal: t.info() });
  });

  app.delete('/api/conversations/:id/terminals/:tid', async (req) => {
    const { id, tid } = pathIds(req, 'id', 'tid');
    if (!(await manager.remove(id, tid))) throw errors.notFound('Terminal');
    return { deleted: true };
  });

  app.route({
    method: 'GET',
    url: '/api/conversations/:id/terminals/:tid/socket',
    handler: async () => {
      throw errors.upgradeRequired();
    },
    wsHandler: (ws: WebSocket, req) => {
      const { id, tid } = req.params as { id?: string; tid?: string };
      const t = id && tid ? manager.get(id, tid) : null;
      if (!t) return ws.close(CLOSE_NOT_FOUND, 'terminal not found');
      t.attach(ws);
      ws.on('message', (data, isBinary) => {
        let parsed: unknown;
        try {
          parsed = isBinary ? null : JSON.parse(data.toString());
        } catch {
          parsed = null;
        }
        const f = ClientFrame.safeParse(parsed);
        if (!f.success) return ws.close(CLOSE_INVALID, 'send {op:"input",data} or {op:"resize",cols,rows}');
        if (f.data.op === 'input') t.input(f.data.data);
        else t.resize(f.data.cols, f.data.rows);
      });
    },
  });
}
