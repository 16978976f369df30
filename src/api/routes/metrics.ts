import { readdirSync, readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/types.ts';
import { countTurnFinished, gaugeFrom, registry } from '../../metrics/registry.ts';

// GET /api/metrics (CONTRACT "Metrics", README "Metrics"): Prometheus text format, behind the token
// like the rest of /api/ (a scraper sends `Authorization: Bearer <token>`). What is only known when
// asked (turns waiting and running, the agent processes) is read here, at scrape time.

/** Direct child processes of this server (agent processes, or their keepers): Linux /proc, else unknown. */
function childProcesses(): number {
  let n = 0;
  for (const task of readdirSync('/proc/self/task')) {
    const children = readFileSync(`/proc/self/task/${task}/children`, 'utf8').trim();
    if (children) n += children.split(/\s+/).length;
  }
  return n;
}

const FINAL = new Set(['completed', 'error', 'cancelled', 'interrupted']);
const PAGE = 1_000;

/**
 * Turns by final status, counted from the lifecycle log when scraped, from where the last scrape left
 * off: nothing is added to the path of a send or a commit. A scrape after a long quiet reads in pages.
 */
function turnCounter(store: Store, start: number): () => Promise<void> {
  let cursor = start;
  let running: Promise<void> = Promise.resolve();
  const catchUp = async () => {
    for (;;) {
      const events = await store.readEvents({ after: cursor, lifecycleOnly: true, limit: PAGE });
      for (const e of events) {
        const status = (e as { status?: unknown }).status;
        if (e.type === 'session_updated' && typeof status === 'string' && FINAL.has(status))
          countTurnFinished(status);
      }
      if (events.length > 0) cursor = events[events.length - 1].seq;
      if (events.length < PAGE) return;
    }
  };
  // Scrapes at the same time take turns: each event is counted once.
  return () => {
    running = running.then(catchUp, catchUp);
    return running;
  };
}

export async function metricsRoutes(app: FastifyInstance): Promise<void> {
  const { store } = app.ctx;
  const countTurns = turnCounter(store, await store.lastSeq());
  gaugeFrom(
    'gmgui_turns',
    'Turns (sessions) not finished yet, by status: pending (queued) and processing (an agent is running it).',
    async () => {
      const counts: Record<string, number> = { pending: 0, processing: 0 };
      for (const s of await store.sessionsWithStatus(['pending', 'processing'])) counts[s.status]++;
      return counts;
    },
    'status',
  );
  gaugeFrom(
    'gmgui_child_processes',
    'Processes this server started that are still running (agent processes, the commands they run, keepers).',
    () => {
      try {
        return childProcesses();
      } catch {
        return {}; // No /proc here: the gauge stays empty rather than wrong.
      }
    },
  );
  app.get('/api/metrics', async (_req, reply) => {
    await countTurns();
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
}
