import assert from 'node:assert/strict';

/** Every error leaves as `{error: "<sentence>", code: "<stable_word>"}` with the expected status. */
export function assertError(
  r: { status: number; body: unknown; text: string },
  status: number,
  code?: string,
): void {
  assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text}`);
  const body = r.body as { error?: unknown; code?: unknown } | null;
  assert.ok(body && typeof body === 'object', `error body is not JSON: ${r.text}`);
  assert.equal(typeof body.error, 'string', `no "error" sentence: ${r.text}`);
  assert.ok((body.error as string).length > 0);
  assert.equal(typeof body.code, 'string', `no "code": ${r.text}`);
  assert.match(body.code as string, /^[a-z_]+$/, `code is not a stable word: ${r.text}`);
  if (code) assert.equal(body.code, code, r.text);
}
