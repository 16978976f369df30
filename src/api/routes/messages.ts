import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { ImageStore } from '../../attachments/image-store.ts';
import {
  AttachmentsInputSchema,
  type PreparedAttachments,
  prepareAttachments,
} from '../../attachments/incoming.ts';
import { sniffImage } from '../../attachments/limits.ts';
import { idempotent } from '../../commands/idempotency.ts';
import { sendMessage } from '../../commands/messages.ts';
import { errors } from '../../domain/errors.ts';
import { confine } from '../../domain/paths.ts';
import { idempotencyOf } from '../idempotency-key.ts';
import { sendStored } from '../reply.ts';
import { Id, parse, pathIds } from '../validate.ts';

const PageQuery = z.object({
  before: Id.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
});

/** Messages in the answer without `limit` or `before`, at most. */
const DEFAULT_PAGE = 1000;

const SendBody = z
  .object({
    // May be empty when the message carries attachments (checked below).
    content: z.string(),
    agentId: Id.optional(),
    folderContext: z
      .object({ path: z.string().min(1).max(4096) })
      .passthrough()
      .optional(),
    attachments: AttachmentsInputSchema.optional(),
    idempotencyKey: z.string().optional(),
  })
  .strict();

const NO_ATTACHMENTS: PreparedAttachments = { attachments: [], images: [], fingerprint: [] };

export async function messageRoutes(app: FastifyInstance): Promise<void> {
  const { store, config, agents, runner } = app.ctx;
  const images = new ImageStore(config.dataDir);

  app.get('/api/conversations/:id/messages', async (req, reply) => {
    const { id } = pathIds(req, 'id');
    const { before, limit } = parse(PageQuery, req.query, 'query');
    if (!(await store.getConversation(id))) throw errors.notFound('Conversation');
    if (before === undefined && limit === undefined) return sendNewest(reply, id);
    if (before !== undefined) {
      const anchor = await store.getMessage(before);
      if (!anchor || anchor.conversationId !== id) throw errors.notFound('Message');
    }
    // One more than asked tells whether older messages remain, without counting them all.
    const want = limit ?? 100;
    const page = await store.listMessages(id, { before, limit: want + 1 });
    const hasMore = page.length > want;
    return { messages: hasMore ? page.slice(1) : page, hasMore };
  });

  /**
   * Without `limit`/`before` (CONTRACT section 8): the whole history when it is at most DEFAULT_PAGE
   * messages and GMGUI_PAGE_BYTES of JSON, as always; a longer one from its newest message back to
   * those caps (at least one message), with `hasMore` so the client pages on with `before`. Each
   * message is serialized once, for its size and the answer.
   */
  async function sendNewest(reply: FastifyReply, id: string) {
    const rows = await store.listMessages(id, { limit: DEFAULT_PAGE + 1 });
    const json: string[] = [];
    let bytes = 0;
    let hasMore = rows.length > DEFAULT_PAGE;
    for (let i = rows.length - 1; i >= (hasMore ? 1 : 0); i--) {
      const m = JSON.stringify(rows[i]);
      if (json.length > 0 && bytes + m.length + 1 > config.pageBytes) {
        hasMore = true;
        break;
      }
      json.push(m);
      bytes += m.length + 1;
    }
    json.reverse();
    return reply
      .type('application/json; charset=utf-8')
      .send(`{"messages":[${json.join(',')}],"hasMore":${hasMore}}`);
  }

  app.post('/api/conversations/:id/messages', async (req, reply) => {
    const { id } = pathIds(req, 'id');
    const body = parse(SendBody, req.body ?? {});
    const inputs = body.attachments ?? [];
    if (!body.content.trim() && inputs.length === 0)
      throw errors.invalidRequest('Invalid request body at "content": must not be empty.');
    if (body.agentId !== undefined && !agents.has(body.agentId)) {
      throw errors.unknownAgent(body.agentId);
    }
    let folderContext: { path: string } | undefined;
    if (body.folderContext) {
      const real = await confine(body.folderContext.path, config.roots);
      if (!real) throw errors.outsideRoots();
      folderContext = { path: real };
    }
    let prepared = NO_ATTACHMENTS;
    if (inputs.length) {
      // Attachments are checked against the conversation's folder and its agent before anything is stored.
      const conversation = await store.getConversation(id);
      if (!conversation) throw errors.notFound('Conversation');
      const agentId = body.agentId ?? conversation.agentId;
      const agentName = agents.get(agentId)?.name ?? agentId;
      prepared = await prepareAttachments(inputs, {
        agentName,
        cwd: conversation.cwd,
        roots: config.roots,
        capabilities: async () => {
          if (!runner.promptCapabilities) return { image: false, audio: false, embeddedContext: false };
          return runner.promptCapabilities(agentId);
        },
      });
      // Durable before the message that names them commits.
      for (const img of prepared.images) await images.put(img.sha256, img.bytes);
    }
    const payload = {
      content: body.content,
      agentId: body.agentId,
      folderContext: body.folderContext,
      ...(inputs.length ? { attachments: prepared.fingerprint } : {}),
    };
    const { idem, key } = idempotencyOf(req, `messages:${id}`, payload, config.idempotencyTtlMs);
    const r = await store.transaction((tx) =>
      idempotent(tx, idem, async () => {
        const { message, session } = await sendMessage(tx, id, {
          idempotencyKey: key ?? undefined,
          content: body.content,
          agentId: body.agentId,
          folderContext,
          attachments: prepared.attachments,
          maxPending: config.maxPending,
        });
        return { status: 201, body: { message, session, idempotencyKey: key } };
      }),
    );
    if (!r.replayed) runner.wake();
    return sendStored(reply, r);
  });

  app.get('/api/conversations/:id/messages/:mid', async (req) => {
    const { id, mid } = pathIds(req, 'id', 'mid');
    const message = await store.getMessage(mid);
    if (!message || message.conversationId !== id) throw errors.notFound('Message');
    return { message };
  });

  // An attached image's bytes, by their SHA-256 (the `url` of an image attachment). Served as the
  // image type its bytes are, never sniffed into anything else, never run.
  app.get('/api/attachments/:sha256', async (req, reply) => {
    const { sha256 } = pathIds(req, 'sha256');
    const bytes = ImageStore.isSha256(sha256) ? await images.get(sha256) : null;
    const type = bytes ? sniffImage(bytes) : null;
    if (!bytes || !type) throw errors.notFound('Attachment');
    return reply
      .header('content-type', type)
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; sandbox")
      .header('cache-control', 'private, max-age=31536000, immutable')
      .send(bytes);
  });
}
