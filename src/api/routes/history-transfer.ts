import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { AppError, errors } from '../../domain/errors.ts';
import { jsonlExport } from '../../history/export.ts';
import { importConversation } from '../../history/import.ts';
import { markdownExport } from '../../history/markdown.ts';
import { readExportFile } from '../../history/read-file.ts';
import { parse, pathIds } from '../validate.ts';

// Export and import of one conversation (docs/CONTRACT.md "Export and import", src/history/).

const ExportQuery = z.object({ format: z.enum(['markdown', 'jsonl']).default('jsonl') }).strict();

/** The content types an export file may be sent as. */
const IMPORT_TYPES = ['application/x-ndjson', 'text/plain'];

/** An export file may be this many times the ordinary body limit (GMGUI_BODY_LIMIT). */
export const IMPORT_LIMIT_FACTOR = 16;

/**
 * Sends a generated file. Its first chunk is produced before the status is sent, so a conversation
 * that is missing is a plain 404; later failures cut the stream, which the JSONL trailer exposes.
 */
async function sendGenerated(reply: FastifyReply, gen: AsyncGenerator<string>, type: string, name: string) {
  const first = await gen.next();
  async function* all() {
    if (!first.done) yield first.value;
    yield* gen;
  }
  return reply
    .header('content-type', type)
    .header('content-disposition', `attachment; filename="${name}"`)
    .header('cache-control', 'no-store')
    .send(Readable.from(all()));
}

export async function historyTransferRoutes(app: FastifyInstance): Promise<void> {
  const { store, config } = app.ctx;
  const importLimit = config.bodyLimit * IMPORT_LIMIT_FACTOR;

  app.get('/api/conversations/:id/export', async (req, reply) => {
    const { id } = pathIds(req, 'id');
    const { format } = parse(ExportQuery, req.query, 'query');
    if (format === 'markdown')
      return sendGenerated(
        reply,
        markdownExport(store, id),
        'text/markdown; charset=utf-8',
        `conversation-${id}.md`,
      );
    return sendGenerated(
      reply,
      jsonlExport(store, id, Date.now()),
      'application/x-ndjson',
      `conversation-${id}.jsonl`,
    );
  });

  // The file as bytes, whatever its type, in this plugin only: the handler names the types it takes
  // (Fastify's own parsers would turn JSONL sent as JSON into a misleading 400).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: importLimit }, (_req, body, done) =>
    done(null, body),
  );

  app.post('/api/conversations/import', { bodyLimit: importLimit }, async (req, reply) => {
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (!IMPORT_TYPES.includes(type) || !Buffer.isBuffer(req.body))
      throw new AppError(
        415,
        errors.unsupportedMediaType.code,
        'Send the export file as application/x-ndjson (or text/plain), as GET …/export?format=jsonl gave it.',
      );
    const plan = readExportFile(req.body);
    const r = await importConversation(store, plan, config.roots);
    return reply.code(r.status).send({ conversation: r.conversation });
  });
}
