// The one response shape the tests read, whichever way the request went (fetch, inject, raw socket).

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response shapes
export interface ApiResponse<T = any> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

/** JSON request with the token: status, parsed body (or null), raw text and headers. */
export type Api = (
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<ApiResponse>;

/** The parsed JSON of a response text, or null when it is empty or not JSON. */
export function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

/** The request headers and body of an API call: the Bearer token, JSON unless a string is given as is. */
export function apiRequest(
  token: string,
  body: unknown,
  headers: Record<string, string>,
): { headers: Record<string, string>; payload: string | undefined } {
  const h: Record<string, string> = { authorization: `Bearer ${token}`, ...headers };
  if (body === undefined) return { headers: h, payload: undefined };
  h['content-type'] ??= 'application/json';
  return { headers: h, payload: typeof body === 'string' ? body : JSON.stringify(body) };
}

/** An Api over real HTTP (fetch) to `base`. */
export function fetchApi(base: string, token: string): Api {
  return async (method, path, body, headers = {}) => {
    const req = apiRequest(token, body, headers);
    const res = await fetch(`${base}${path}`, { method, headers: req.headers, body: req.payload });
    const text = await res.text();
    return { status: res.status, body: parseJson(text), text, headers: res.headers };
  };
}
