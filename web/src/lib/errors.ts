// Reading a failure: its text for the user, and the server's HTTP status when it answered.

import { ApiError } from '../net/api';

/** The text of a failure, for a notice or an inline error. */
export function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The HTTP status the server answered a failed call with (0: not an answer from the server). */
export function statusOf(e: unknown): number {
  return e instanceof ApiError ? e.status : 0;
}
