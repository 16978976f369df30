import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { AppError, errors } from '../domain/errors.ts';

// Every error leaves as `{error, code}`. Client mistakes get a 4xx with a sentence a person can act on;
// only our own bugs are 500s, and those are logged with the request id. The codes are declared in
// src/domain/errors.ts and listed in docs/CONTRACT.md.

/** Fastify's own errors for a body it could not take, as ours. */
const FASTIFY_ERRORS: Record<string, () => AppError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () => errors.bodyTooLarge(),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => errors.unsupportedMediaType(),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => errors.invalidJson('The body is empty but Content-Type says JSON.'),
  FST_ERR_CTP_INVALID_JSON_BODY: () => errors.invalidJson('The body is not valid JSON.'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => errors.invalidContentLength(),
};

/** The AppError a thrown error stands for, or null when it is a bug of ours. */
function asAppError(err: FastifyError | Error): AppError | null {
  if (err instanceof AppError) return err;
  const fe = err as FastifyError;
  const known = fe.code ? FASTIFY_ERRORS[fe.code] : undefined;
  if (known) return known();
  if (err instanceof SyntaxError || fe.statusCode === 400)
    return errors.badRequest(`Malformed request: ${err.message}`);
  // Another 4xx a plugin reported: keep its status, under the generic code.
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new AppError(fe.statusCode, errors.badRequest.code, err.message);
  }
  return null;
}

/** Sends an AppError as `{error, code}` with its status. */
export function sendError(reply: FastifyReply, e: AppError): FastifyReply {
  return reply.code(e.status).send({ error: e.message, code: e.code });
}

export function errorHandling(app: FastifyInstance, apiPrefix: string): void {
  app.setErrorHandler((err: FastifyError | AppError | Error, req, reply) => {
    const e = asAppError(err);
    if (!e) req.log.error({ err }, 'unhandled error');
    else if (e.status >= 500) req.log.error({ err }, e.message);
    return sendError(reply, e ?? errors.internal());
  });

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0];
    const what = path.startsWith(apiPrefix) ? `The API route ${req.method} ${path}` : `The page ${path}`;
    return sendError(reply, errors.notFound(what));
  });
}
