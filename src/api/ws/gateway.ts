import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type WebSocket from 'ws';
import type { StoredEvent } from '../../domain/types.ts';
import { gaugeFrom } from '../../metrics/registry.ts';
import { Connection } from './connection.ts';
import { LogTail } from './log-tail.ts';
import { type GatewayOptions, resolveGatewayOptions } from './options.ts';
import {
  CLOSE_CURSOR_AHEAD,
  CLOSE_GOING_AWAY,
  CLOSE_INVALID,
  CLOSE_NOT_FOUND,
  ClientFrame,
  type Filter,
  filterKey,
  StreamQuery,
  SyncQuery,
} from './protocol.ts';
import { Subscription } from './subscription.ts';

// The WebSocket gateway (CONTRACT section 5): /sync, /stream and the multiplexed /ws. Access control
// (token, Host, Origin) already ran in the app's onRequest hook before any upgrade reaches us.
// The frame protocol of /ws is described in protocol.ts.

const STRAY_UPGRADE_MS = 5_000;

/** Lets the HTTP answer reach the client, then closes; cut if the peer does not close its side. */
function endSoon(socket: Duplex): void {
  socket.end();
  setTimeout(() => socket.destroy(), 1_000).unref();
}

export async function websocketGateway(app: FastifyInstance, given?: Partial<GatewayOptions>): Promise<void> {
  const { store, config } = app.ctx;
  const opts = resolveGatewayOptions(config, given);
  const tail = await LogTail.open(store, opts.pageSize, opts.pageBytes, {
    events: opts.ringEvents,
    bytes: opts.ringBytes,
  });
  const connections = new Set<Connection>();
  gaugeFrom(
    'gmgui_websocket_clients',
    'Open WebSocket connections (/sync, /stream, /ws).',
    () => connections.size,
  );
  gaugeFrom(
    'gmgui_websocket_subscriptions',
    'Subscriptions following the log over WebSocket, all conversations and /sync.',
    () => tail.followerCount,
  );

  const heartbeat = setInterval(() => {
    for (const c of connections) {
      if (c.beat()) continue;
      app.log.debug('websocket client missed a ping: dropped');
      c.terminate();
    }
  }, opts.pingIntervalMs);
  heartbeat.unref();

  await app.register(websocket, {
    options: { maxPayload: opts.maxPayload },
    // Unclean disconnects are ordinary on the web: not worth an error log line each.
    errorHandler: (err, socket) => {
      app.log.debug({ err }, 'websocket error');
      socket.terminate();
    },
    // Graceful shutdown must not wait for browsers: ask every client to reconnect later, cut the silent ones.
    preClose: async () => {
      clearInterval(heartbeat);
      tail.close();
      const open = [...connections];
      for (const c of open)
        c.close(CLOSE_GOING_AWAY, 'server shutting down: reconnect with after=<last seq received>');
      await Promise.race([
        Promise.all(
          open.map((c) =>
            c.ws.readyState === c.ws.CLOSED ? null : new Promise((r) => c.ws.once('close', r)),
          ),
        ),
        new Promise((r) => setTimeout(r, opts.closeGraceMs).unref()),
      ]);
      for (const c of open) c.ws.terminate();
      for (const socket of strays) socket.destroy();
      const server = app.websocketServer;
      for (const ws of server.clients) ws.terminate();
      await new Promise<void>((r) => server.close(() => r()));
    },
  });

  // An upgrade request answered with a plain HTTP response (401, 403, 404, …) leaves its socket open:
  // Node handed it over at 'upgrade', so nobody closes it and it would hold app.close() forever.
  // Ours are ended once answered; any other (paths outside the gateway) is cut after a grace period.
  const upgraded = new WeakSet<Duplex>();
  const strays = new Set<Duplex>();
  app.websocketServer.on('connection', (_ws: WebSocket, req: IncomingMessage) => {
    // Once ws owns the socket it is a Connection, and preClose closes it as one.
    upgraded.add(req.socket);
    strays.delete(req.socket);
  });
  const onUpgrade = (_req: IncomingMessage, socket: Duplex) => {
    strays.add(socket);
    const timer = setTimeout(() => {
      strays.delete(socket);
      if (!upgraded.has(socket)) socket.destroy();
    }, STRAY_UPGRADE_MS);
    timer.unref();
    socket.once('close', () => {
      clearTimeout(timer);
      strays.delete(socket);
    });
  };
  app.server.on('upgrade', onUpgrade);
  app.addHook('onResponse', async (req) => {
    if (req.headers.upgrade && !upgraded.has(req.raw.socket)) endSoon(req.raw.socket);
  });

  const connect = (ws: WebSocket, req: FastifyRequest): Connection => {
    const c = new Connection(ws, req.raw.socket, opts, app.log, (gone) => connections.delete(gone));
    connections.add(c);
    return c;
  };

  /** Where a subscription starts: the given cursor, or the end of the log (live only). */
  const startCursor = async (after: number | undefined) => (after === undefined ? tail.end() : after);

  const conversationKnown = async (id: string) =>
    (await store.lastSeq(id)) > 0 || !!(await store.getConversation(id));

  const notUpgrade = async (_req: FastifyRequest, reply: FastifyReply) =>
    reply
      .code(426)
      .type('application/json')
      .send({ error: 'This endpoint speaks WebSocket only.', code: 'upgrade_required' });

  /** The parsed query, or why it cannot be served as a close code and reason (see protocol.ts). */
  async function refusal(
    schema: typeof SyncQuery | typeof StreamQuery,
    query: unknown,
  ): Promise<{ code: number; reason: string } | { after?: number; conversationId?: string }> {
    const r = schema.safeParse(query);
    if (!r.success) {
      const issue = r.error.issues[0];
      const reason = `invalid ${issue?.path.join('.') || 'query'}: ${issue?.message ?? 'malformed'}`;
      return { code: CLOSE_INVALID, reason: reason.slice(0, 120) };
    }
    const q = r.data as { after?: number; conversationId?: string };
    if (q.conversationId !== undefined && !(await conversationKnown(q.conversationId))) {
      return { code: CLOSE_NOT_FOUND, reason: 'conversation not found' };
    }
    if (q.after !== undefined && q.after > (await tail.end())) {
      return {
        code: CLOSE_CURSOR_AHEAD,
        reason: 'cursor beyond the end of the log: start again from after=0',
      };
    }
    return q;
  }

  /** /sync and /stream: one subscription per socket, each frame one event as stored. */
  const singleStream = (
    ws: WebSocket,
    req: FastifyRequest,
    schema: typeof SyncQuery | typeof StreamQuery,
  ) => {
    const c = connect(ws, req);
    refusal(schema, req.query)
      .then(async (q) => {
        if (c.gone) return;
        if ('code' in q) return c.close(q.code, q.reason);
        const cursor = await startCursor(q.after);
        if (c.gone) return;
        const filter: Filter =
          q.conversationId === undefined
            ? { stream: 'sync' }
            : { stream: 'conversation', conversationId: q.conversationId };
        const sub = new Subscription(filter, cursor, tail, c, (e) => tail.toJson(e));
        c.subscriptions.set(filterKey(filter), sub);
        sub.start();
      })
      .catch((err) => c.fail(err));
  };

  app.route({
    method: 'GET',
    url: '/sync',
    handler: notUpgrade,
    wsHandler: (ws, req) => singleStream(ws, req, SyncQuery),
  });
  app.route({
    method: 'GET',
    url: '/stream',
    handler: notUpgrade,
    wsHandler: (ws, req) => singleStream(ws, req, StreamQuery),
  });

  app.route({
    method: 'GET',
    url: '/ws',
    handler: notUpgrade,
    wsHandler: (ws, req) => {
      const c = connect(ws, req);
      // Frames are handled one at a time, so a subscribe and the unsubscribe right after it keep their order.
      let queue = Promise.resolve();
      ws.on('message', (data, isBinary) => {
        queue = queue
          .then(() => handleFrame(c, isBinary ? null : data.toString()))
          .catch((err) => c.fail(err));
      });
    },
  });

  const reply = (c: Connection, frame: Record<string, unknown>) => c.send(JSON.stringify(frame));

  async function handleFrame(c: Connection, text: string | null): Promise<void> {
    let parsed: unknown;
    try {
      parsed = text === null ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (c.gone) return;
    const r = ClientFrame.safeParse(parsed);
    if (!r.success) {
      const id = (parsed as { id?: unknown } | undefined)?.id;
      return reply(c, {
        op: 'error',
        code: 'invalid_frame',
        error:
          'Unrecognized frame. Send JSON {op:"subscribe"|"unsubscribe", stream:"sync"|"conversation", conversationId?, after?} or {op:"ping"}.',
        ...(typeof id === 'string' ? { id } : {}),
      });
    }
    const f = r.data;
    const idPart = f.id !== undefined ? { id: f.id } : {};
    if (f.op === 'ping') return reply(c, { op: 'pong', ...idPart });
    const filter: Filter =
      f.stream === 'sync' ? { stream: 'sync' } : { stream: 'conversation', conversationId: f.conversationId };
    const key = filterKey(filter);
    const target =
      filter.stream === 'conversation'
        ? { stream: filter.stream, conversationId: filter.conversationId }
        : { stream: 'sync' };
    if (f.op === 'unsubscribe') {
      c.subscriptions.get(key)?.close();
      c.subscriptions.delete(key);
      return reply(c, { op: 'unsubscribed', ...target, ...idPart });
    }
    if (!c.subscriptions.has(key) && c.subscriptions.size >= opts.maxSubscriptions) {
      return reply(c, {
        op: 'error',
        code: 'too_many_subscriptions',
        error: `At most ${opts.maxSubscriptions} subscriptions per socket.`,
        ...idPart,
      });
    }
    if (filter.stream === 'conversation' && !(await conversationKnown(filter.conversationId))) {
      return reply(c, {
        op: 'error',
        code: 'not_found',
        error: 'Conversation was not found.',
        ...target,
        ...idPart,
      });
    }
    const end = await tail.end();
    if (f.after !== undefined && f.after > end) {
      return reply(c, {
        op: 'error',
        code: 'cursor_ahead',
        error:
          'The cursor is beyond the end of this server’s log (another database?). Resubscribe from after=0.',
        ...target,
        ...idPart,
      });
    }
    // The socket may have closed while we were reading the store: a subscription now would never be closed.
    if (c.gone) return;
    const cursor = f.after ?? end;
    c.subscriptions.get(key)?.close();
    const prefix = `{"op":"event",${JSON.stringify(target).slice(1, -1)},"event":`;
    const sub = new Subscription(filter, cursor, tail, c, (e: StoredEvent) => `${prefix}${tail.toJson(e)}}`);
    c.subscriptions.set(key, sub);
    // The ack goes out before any event of this subscription: the client knows where it starts.
    reply(c, { op: 'subscribed', ...target, after: cursor, ...idPart });
    sub.start();
  }

  app.addHook('onClose', async () => {
    app.server.off('upgrade', onUpgrade);
    clearInterval(heartbeat);
    tail.close();
  });
}
