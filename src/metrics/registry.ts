import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

// The server's metrics (GET /api/metrics, CONTRACT "Metrics"): one registry per process, Prometheus
// text format, prom-client. Counters are since this process started. Modules that observe something
// call the small functions below (no prom-client types leak out); what can be read when scraped (open
// sockets, running turns) is read then, through the sources the server registers (sources.ts).
// This module imports nothing of ours, so any layer (the store included) may call it.

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'gmgui_' });

const commitSeconds = new Histogram({
  name: 'gmgui_store_commit_seconds',
  help: 'Time of one store COMMIT (SQLite group commit: one batch, its fsync included).',
  buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  registers: [registry],
});

const commitBatch = new Histogram({
  name: 'gmgui_store_commit_batch_size',
  help: 'Commands acknowledged by one COMMIT (SQLite group commit).',
  buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
  registers: [registry],
});

const eventsAppended = new Counter({
  name: 'gmgui_events_appended_total',
  help: 'Events appended to the log (by this instance or, on PostgreSQL, any other) as this process saw it grow.',
  registers: [registry],
});

const turnsFinished = new Counter({
  name: 'gmgui_turns_finished_total',
  help: 'Turns (sessions) that reached a final status, by status, read from the log.',
  labelNames: ['status'] as const,
  registers: [registry],
});

const rateLimited = new Counter({
  name: 'gmgui_rate_limited_total',
  help: 'Requests refused with 429 by a rate limit (writes, or wrong tokens).',
  labelNames: ['limit'] as const,
  registers: [registry],
});

const push = new Counter({
  name: 'gmgui_push_total',
  help: 'Web push notifications, by outcome (sent, failed, gone: the subscription was removed).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export function observeCommit(seconds: number, commands: number): void {
  commitSeconds.observe(seconds);
  commitBatch.observe(commands);
}

export function countAppended(events: number): void {
  if (events > 0) eventsAppended.inc(events);
}

export function countTurnFinished(status: string): void {
  turnsFinished.inc({ status });
}

export function countRateLimited(limit: 'writes' | 'logins'): void {
  rateLimited.inc({ limit });
}

/** For the push service (src/push): one call per notification attempt. */
export function countPush(outcome: 'sent' | 'failed' | 'gone'): void {
  push.inc({ outcome });
}

/** A gauge read when scraped. `read` returns the value, or values by label; errors leave it unset. */
export function gaugeFrom(
  name: string,
  help: string,
  read: () => Promise<number | Record<string, number>> | number | Record<string, number>,
  labelName?: string,
): void {
  registry.removeSingleMetric(name);
  new Gauge({
    name,
    help,
    labelNames: labelName ? [labelName] : [],
    registers: [registry],
    async collect() {
      this.reset();
      const v = await read();
      if (typeof v === 'number') this.set(v);
      else if (labelName) for (const [k, n] of Object.entries(v)) this.set({ [labelName]: k }, n);
    },
  });
}
