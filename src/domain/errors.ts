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

export const notFound = (what: string) => new AppError(404, 'not_found', `${what} was not found.`);

/** The store could not be reached or refused the write; nothing was half-written. */
export class StoreUnavailableError extends AppError {
  constructor(cause?: unknown) {
    super(503, 'store_unavailable', 'The database is unavailable right now; nothing was changed. Try again.');
    if (cause) this.cause = cause;
  }
}
