import type { Page } from 'playwright-core';
import { waitFor } from './harness.ts';

const MESSAGES = '**/api/conversations/*/messages';

export interface Refusal {
  /** Resolves once the app has tried to send at least once and was refused. */
  attempted(): Promise<void>;
  /** Lets sends through again and tells the app the network is back, so it retries now, not after its backoff. */
  lift(): Promise<void>;
}

/**
 * Makes the API refuse to carry new messages, as if the connection broke for that request (reads still
 * pass): what the app sends stays in its outbox, "sending", until lift().
 */
export async function refuseSends(page: Page): Promise<Refusal> {
  let refused = 0;
  await page.route(MESSAGES, async (route) => {
    if (route.request().method() === 'POST') {
      refused++;
      await route.abort('connectionreset');
    } else await route.continue();
  });
  return {
    attempted: () => waitFor(async () => refused > 0, 10_000, 'a refused send'),
    async lift() {
      await page.unroute(MESSAGES);
      await page.evaluate("dispatchEvent(new Event('online'))");
    },
  };
}
