import type { z } from 'zod';
import { AppError } from '../domain/errors.ts';

/** Parses untrusted input with a zod schema; failure is a 400 naming the first problem. */
export function parse<S extends z.ZodType>(schema: S, data: unknown, what = 'request body'): z.infer<S> {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue?.path.length ? ` at "${issue.path.join('.')}"` : '';
  throw new AppError(400, 'invalid_request', `Invalid ${what}${where}: ${issue?.message ?? 'malformed'}.`);
}
