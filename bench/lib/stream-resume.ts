import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startServer, type TestServer } from '../../test/helpers/server.ts';
import type { StreamBenchResult } from '../stream.ts';
import { median } from './dist.ts';
import { seedDeltaHistories } from './seed-history.ts';

// Part 3 of bench/stream.ts: the time to resume with `after` in a conversation of 10,000 vs 1,000,000
// stored events, which must not grow with the history.

const log = (s: string) => process.stderr.write(`  … ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const wsBase = (s: TestServer) => s.base.replace(/^http/, 'ws');

/** Connect with `after`, receive 100 events: the time a reconnecting tab waits. */
async function resumeMs(s: TestServer, conversationId: string, after: number): Promise<number> {
  const t0 = performance.now();
  const ws = new WebSocket(`${wsBase(s)}/stream?conversationId=${conversationId}&after=${after}`, {
    headers: { authorization: `Bearer ${s.token}` },
  });
  await new Promise<void>((resolve, reject) => {
    let got = 0;
    ws.on('message', () => {
      if (++got === 100) resolve();
    });
    ws.once('error', reject);
  });
  const ms = performance.now() - t0;
  ws.terminate();
  // The server may still be sending the rest of the history to the socket it has not yet seen close.
  await sleep(100);
  return ms;
}

export async function resumeBench(): Promise<StreamBenchResult['resume']> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gmgui-bench-resume-'));
  const rootDir = await mkdtemp(join(tmpdir(), 'gmgui-bench-root-'));
  let s: TestServer | null = null;
  try {
    const histories = [10_000, 1_000_000];
    log('seeding 10,000 + 1,000,000 events');
    const cursors = await seedDeltaHistories(dataDir, rootDir, histories);
    s = await startServer({ dataDir, rootDir });
    const out: StreamBenchResult['resume'] = [];
    // Interleaved rounds, so a slow moment of the machine hits both sizes alike.
    const near: number[][] = [[], []];
    const mid: number[][] = [[], []];
    for (let round = 0; round < 3; round++)
      await resumeMs(s, cursors[round % 2].id, cursors[round % 2].nearEnd);
    for (let round = 0; round < 15; round++) {
      for (const i of [0, 1]) {
        near[i].push(await resumeMs(s, cursors[i].id, cursors[i].nearEnd));
        mid[i].push(await resumeMs(s, cursors[i].id, cursors[i].middle));
      }
    }
    histories.forEach((history, i) => {
      out.push({ history, nearEndMs: median(near[i]), middleMs: median(mid[i]) });
    });
    return out;
  } finally {
    await s?.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(rootDir, { recursive: true, force: true });
  }
}
