import { z } from 'zod';
import { errors } from '../domain/errors.ts';

/** Parses untrusted input with a zod schema; failure is a 400 naming the first problem. */
export function parse<S extends z.ZodType>(schema: S, data: unknown, what = 'request body'): z.infer<S> {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue?.path.length ? ` at "${issue.path.join('.')}"` : '';
  throw errors.invalidRequest(`Invalid ${what}${where}: ${issue?.message ?? 'malformed'}.`);
}

/**
 * The one schema of an id a client names: a route's `{id}`, `{mid}`, `{requestId}`, a `?before=`
 * cursor, an `agentId`. Not a format check (a well-formed id that is not stored is a 404, not a 400),
 * only a bound on what reaches the store.
 */
export const Id = z.string().min(1).max(200);

/** The named path parameters of a route, each validated as an `Id`: `const { id, mid } = pathIds(req, 'id', 'mid')`. */
export function pathIds<K extends string>(req: { params: unknown }, ...names: K[]): Record<K, string> {
  const params = (req.params ?? {}) as Record<string, unknown>;
  const ids = {} as Record<K, string>;
  for (const name of names) ids[name] = parse(Id, params[name], `path parameter "${name}"`);
  return ids;
}
