/** An error a client caused or can act on: it becomes `{error, code}` with `status`, never a 500. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** The store could not be reached or refused the write; nothing was half-written. */
export class StoreUnavailableError extends AppError {
  constructor(cause?: unknown) {
    super(503, 'store_unavailable', 'The database is unavailable right now; nothing was changed. Try again.');
    if (cause) this.cause = cause;
  }
}

/** One declared error: calling it makes the AppError; `code` and `status` are readable by docs and tests. */
export interface ErrorKind<A extends unknown[]> {
  (...args: A): AppError;
  readonly code: string;
  readonly status: number;
}

function declare<A extends unknown[]>(
  status: number,
  code: string,
  message: (...args: A) => string,
): ErrorKind<A> {
  return Object.assign((...args: A) => new AppError(status, code, message(...args)), { code, status });
}

const quoted = (ids: readonly string[]) => ids.map((id) => `"${id}"`).join(', ') || 'none';

// Every error the server answers with, declared once (Fastify's habit: one createError(code, message,
// status) per error). A code is a stable word clients may switch on; docs/CONTRACT.md lists each one
// with its status, and test/api/contract-codes.test.ts keeps the two in step. Messages are sentences
// a person can act on.
export const errors = {
  // The request itself: its shape, encoding and size.
  invalidRequest: declare(400, 'invalid_request', (detail: string) => detail),
  badRequest: declare(400, 'bad_request', (detail: string) => detail),
  invalidJson: declare(400, 'invalid_json', (detail: string) => detail),
  invalidContentLength: declare(
    400,
    'invalid_content_length',
    () => 'Content-Length does not match the body.',
  ),
  badUrl: declare(400, 'bad_url', () => 'The URL is not valid (bad percent-encoding).'),
  urlTooLong: declare(414, 'url_too_long', () => 'A part of the URL is too long.'),
  bodyTooLarge: declare(413, 'body_too_large', () => 'The request body is too large.'),
  unsupportedMediaType: declare(415, 'unsupported_media_type', () => 'Send the body as application/json.'),
  requestTimeout: declare(408, 'request_timeout', () => 'The request took too long to arrive.'),
  headersTooLarge: declare(431, 'headers_too_large', () => 'The request headers are too large.'),
  upgradeRequired: declare(426, 'upgrade_required', () => 'This endpoint speaks WebSocket only.'),
  invalidIfMatch: declare(
    400,
    'invalid_if_match',
    () => 'If-Match must be the conversation version, a whole number.',
  ),

  // Idempotency keys (CONTRACT section 4).
  invalidIdempotencyKey: declare(
    400,
    'invalid_idempotency_key',
    () => 'An idempotency key is 1 to 200 visible ASCII characters.',
  ),
  idempotencyKeyConflict: declare(
    400,
    'idempotency_key_conflict',
    () => 'The Idempotency-Key header and the idempotencyKey field differ.',
  ),
  idempotencyKeyReused: declare(
    422,
    'idempotency_key_reused',
    () => 'This idempotency key was already used with a different request; use a new key for a new request.',
  ),

  // Access (CONTRACT section 2).
  unauthorized: declare(
    401,
    'unauthorized',
    () =>
      'A valid access token is required: open the URL the server printed at start, or send Authorization: Bearer <token>.',
  ),
  hostNotAllowed: declare(
    403,
    'host_not_allowed',
    (host: string) => `Requests for host "${host}" are refused. Add it to GMGUI_ALLOWED_ORIGINS to allow it.`,
  ),
  originNotAllowed: declare(
    403,
    'origin_not_allowed',
    (origin: string) =>
      `Cross-site requests from "${origin}" are refused. Add it to GMGUI_ALLOWED_ORIGINS to allow it.`,
  ),
  outsideRoots: declare(
    403,
    'outside_roots',
    () => 'That folder is outside the folders gmgui may use (GMGUI_ROOTS).',
  ),
  forbidden: declare(403, 'forbidden', (detail: string) => detail),

  // What the request names.
  notFound: declare(404, 'not_found', (what: string) => `${what} was not found.`),
  unknownAgent: declare(
    400,
    'unknown_agent',
    (agentId: string) => `There is no agent "${agentId}". GET /api/agents lists them.`,
  ),
  notAFolder: declare(400, 'not_a_folder', () => 'That path is a file, not a folder.'),
  // Paths that cannot be followed (src/domain/paths.ts).
  folderNotFound: declare(400, 'folder_not_found', (path: string) => `The folder ${path} does not exist.`),
  symlinkLoop: declare(
    400,
    'symlink_loop',
    () => 'That path goes through a loop of symbolic links (or more than 40 of them).',
  ),
  nameTooLong: declare(400, 'name_too_long', () => 'That path, or a name in it, is too long.'),
  pathUnusable: declare(422, 'path_unusable', (errno: string) => `That path cannot be used (${errno}).`),

  // The state of what it names.
  versionMismatch: declare(
    412,
    'version_mismatch',
    (current: number, given: number) =>
      `The conversation changed since you read it (version ${current}, not ${given}). Reload and try again.`,
  ),
  alreadyFinished: declare(
    409,
    'already_finished',
    (status: string, consequence: string) => `This turn already ended (${status}); ${consequence}.`,
  ),
  alreadyResolved: declare(409, 'already_resolved', (optionId?: string) =>
    optionId
      ? `This permission request was already answered ("${optionId}").`
      : 'This permission request was already closed because the turn ended or was cancelled.',
  ),
  notRetryable: declare(
    409,
    'not_retryable',
    (status: string) =>
      `Only a session that ended in error, was cancelled or interrupted can be retried; this one is ${status}.`,
  ),
  invalidOption: declare(
    400,
    'invalid_option',
    (optionId: string, offered: readonly string[]) =>
      `"${optionId}" was not offered for this request; choose one of ${quoted(offered)}.`,
  ),
  noModes: declare(400, 'no_modes', () => 'The agent of this conversation offers no modes.'),
  unknownMode: declare(
    400,
    'unknown_mode',
    (modeId: string, offered: readonly string[]) =>
      `The agent does not offer the mode "${modeId}"; choose one of ${quoted(offered)}.`,
  ),
  unknownConfigOption: declare(
    400,
    'unknown_config_option',
    (configId: string, offered: readonly string[]) =>
      `The agent does not offer the configuration option "${configId}"; it offers ${quoted(offered)}.`,
  ),
  invalidConfigValue: declare(
    400,
    'invalid_config_value',
    (value: string, configId: string, values: readonly string[]) =>
      `"${value}" is not a value of the option "${configId}"; choose one of ${quoted(values)}.`,
  ),

  // Agents: attachments, sign-in, opening a session (CONTRACT section 11).
  unsupportedAttachment: declare(400, 'unsupported_attachment', (detail: string) => detail),
  notAFile: declare(400, 'not_a_file', (what: string) => `${what} is not a regular file.`),
  attachmentTooLarge: declare(413, 'attachment_too_large', (detail: string) => detail),
  unknownAuthMethod: declare(
    400,
    'unknown_auth_method',
    (methodId: string, offered: readonly string[]) =>
      `The agent does not offer the sign-in method "${methodId}"; it offers ${quoted(offered)}.`,
  ),
  terminalSignIn: declare(
    400,
    'terminal_sign_in',
    (commandLine: string) =>
      `This sign-in method runs in a terminal, not through gmgui: run \`${commandLine}\` in a terminal on the server.`,
  ),
  authFailed: declare(
    422,
    'auth_failed',
    (agent: string, detail: string) => `The agent "${agent}" did not sign in: ${detail}`,
  ),
  authRequired: declare(
    409,
    'auth_required',
    (agent: string) =>
      `The agent "${agent}" needs signing in first: GET /api/agents lists its sign-in methods.`,
  ),
  agentFailed: declare(502, 'agent_failed', (detail: string) => detail),
  // The agent's own sessions (CONTRACT "The agent's own sessions").
  agentSessionsUnsupported: declare(
    400,
    'agent_sessions_unsupported',
    (agent: string, what: string) => `The agent "${agent}" does not ${what}.`,
  ),
  agentSessionRefused: declare(
    422,
    'agent_session_refused',
    (agent: string, detail: string) => `The agent "${agent}" refused: ${detail}`,
  ),

  // Conversation import (CONTRACT "Export and import"): nothing is written when one of these is sent.
  importInvalid: declare(422, 'import_invalid', (detail: string) => `The file does not verify: ${detail}`),
  importConflict: declare(409, 'import_conflict', (detail: string) => detail),
  importUnfinished: declare(
    409,
    'import_unfinished',
    () => 'The file ends with a turn still running; export the conversation again once its turns have ended.',
  ),

  // Limits (README "Limits"): a client that asks too much at once waits and tries again.
  rateLimited: declare(
    429,
    'rate_limited',
    (what: string, seconds: number) => `${what}: try again in ${seconds} s.`,
  ),
  tooManyPending: declare(
    429,
    'too_many_pending',
    (max: number) =>
      `${max} messages of this conversation are already waiting for the agent; send more once it has answered some.`,
  ),

  // The server's side.
  storeUnavailable: Object.assign((cause?: unknown): AppError => new StoreUnavailableError(cause), {
    code: 'store_unavailable',
    status: 503,
  }),
  internal: declare(500, 'internal', () => 'Something went wrong on the server; it has been logged.'),
} as const;

/** Every declared code with its status, for docs and the test that compares them. */
export function declaredErrorCodes(): Array<{ code: string; status: number }> {
  return Object.values(errors).map((e) => ({ code: e.code, status: e.status }));
}

/** Kept for the call sites that import it by name; the same as `errors.notFound`. */
export const notFound = errors.notFound;
