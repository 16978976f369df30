import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError } from '../domain/errors.ts';

// Every error leaves as `{error, code}`. Client mistakes get a 4xx with a sentence a person can act on;
// only our own bugs are 500s, and those are logged with the request id.

const FASTIFY_CODES: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'body_too_large', message: 'The request body is too large.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'unsupported_media_type',
    message: 'Send the body as application/json.',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    code: 'invalid_json',
    message: 'The body is empty but Content-Type says JSON.',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_json', message: 'The body is not valid JSON.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'invalid_content_length',
    message: 'Content-Length does not match the body.',
  },
};

export function errorHandling(app: FastifyInstance, apiPrefix: string): void {
  app.setErrorHandler((err: FastifyError | AppError | Error, req, reply) => {
    if (err instanceof AppError) {
      if (err.status >= 500) req.log.error({ err }, err.message);
      return reply.code(err.status).send({ error: err.message, code: err.code });
    }
    const fe = err as FastifyError;
    const known = fe.code ? FASTIFY_CODES[fe.code] : undefined;
    if (known) return reply.code(known.status).send({ error: known.message, code: known.code });
    if (err instanceof SyntaxError || fe.statusCode === 400) {
      return reply.code(400).send({ error: `Malformed request: ${err.message}`, code: 'bad_request' });
    }
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
      return reply.code(fe.statusCode).send({ error: err.message, code: 'bad_request' });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ error: 'Something went wrong on the server; it has been logged.', code: 'internal' });
  });

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0];
    const what = path.startsWith(apiPrefix) ? `No API route ${req.method} ${path}.` : `Nothing at ${path}.`;
    return reply.code(404).send({ error: what, code: 'not_found' });
  });
}
