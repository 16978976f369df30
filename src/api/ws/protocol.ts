import { z } from 'zod';

// What travels over the gateway's sockets, validated with zod (CONTRACT section 5).
//
// /sync?after=N and /stream?conversationId=X&after=N: every server frame is one stored event as JSON,
// exactly as GET /api/conversations/{id}/events returns it. Nothing is read from the client there.
//
// /ws: one socket, several subscriptions (the web client's way in). Client → server frames:
//   {op:'subscribe',   stream:'sync',                              after?: N, id?: string}
//   {op:'subscribe',   stream:'conversation', conversationId: X,   after?: N, id?: string}
//   {op:'unsubscribe', stream:'sync' | 'conversation', conversationId?, id?}
//   {op:'ping', id?}
// Server → client frames:
//   {op:'subscribed',   stream, conversationId?, after, id?}  `after` is where the subscription starts
//                                                              (the given cursor, or the log's end for live only)
//   {op:'event',        stream, conversationId?, event}       in seq order within one subscription
//   {op:'unsubscribed', stream, conversationId?, id?}         no event of it follows this frame
//   {op:'pong', id?}
//   {op:'error', code, error, id?}                            a refused frame; the socket stays open
// Subscribing again to a stream already subscribed replaces that subscription (new cursor).
// A conversation's lifecycle events arrive on both its conversation stream and on sync: the client
// applies events by seq and ignores a seq it has already applied (DESIGN point 5).

/**
 * Close codes. Reconnect with your last seq after: 1001 the server is stopping; 1011 a server error;
 * 4008 the client fell too far behind. Do not retry as is after: 4400 a malformed query (reason says
 * what); 4404 no such conversation; 4409 the cursor is beyond the end of the log (another database?):
 * start again from after=0. Refusals are close codes rather than HTTP statuses before the upgrade because
 * a browser's WebSocket cannot read the status of a refused upgrade; a missing or wrong token is still
 * an HTTP 401 (and a foreign Origin or Host a 403) before the upgrade: nothing is opened for those.
 */
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_SERVER_ERROR = 1011;
export const CLOSE_LAGGING = 4008;
export const CLOSE_INVALID = 4400;
export const CLOSE_NOT_FOUND = 4404;
export const CLOSE_CURSOR_AHEAD = 4409;
export const LAGGING_REASON = 'too far behind: reconnect with after=<last seq received>';

/** A cursor in a query string: digits only, so "", "1e3" or "-1" are refused rather than read as 0. */
const CursorParam = z
  .string()
  .regex(/^\d{1,15}$/, 'must be a whole number ≥ 0')
  .transform(Number);

const ConversationId = z.string().min(1).max(200);

export const SyncQuery = z.object({ after: CursorParam.optional() });
export const StreamQuery = z.object({ conversationId: ConversationId, after: CursorParam.optional() });

const Cursor = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const RequestId = z.string().max(100).optional();

export const ClientFrame = z.union([
  z.object({
    op: z.literal('subscribe'),
    stream: z.literal('sync'),
    after: Cursor.optional(),
    id: RequestId,
  }),
  z.object({
    op: z.literal('subscribe'),
    stream: z.literal('conversation'),
    conversationId: ConversationId,
    after: Cursor.optional(),
    id: RequestId,
  }),
  z.object({ op: z.literal('unsubscribe'), stream: z.literal('sync'), id: RequestId }),
  z.object({
    op: z.literal('unsubscribe'),
    stream: z.literal('conversation'),
    conversationId: ConversationId,
    id: RequestId,
  }),
  z.object({ op: z.literal('ping'), id: RequestId }),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

/** Which part of the log a subscription follows. */
export type Filter = { stream: 'sync' } | { stream: 'conversation'; conversationId: string };

export function filterKey(f: Filter): string {
  return f.stream === 'sync' ? 'sync' : `c:${f.conversationId}`;
}
