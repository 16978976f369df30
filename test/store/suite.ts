import { after, afterEach, describe } from 'node:test';
import type { StoreBackend } from './backends.ts';
import { availabilityCases } from './suite/availability.ts';
import { conversationsCases } from './suite/conversations.ts';
import { harness } from './suite/harness.ts';
import { idempotencyCases } from './suite/idempotency.ts';
import { importCases } from './suite/import.ts';
import { logCases } from './suite/log.ts';
import { messagesCases } from './suite/messages.ts';
import { rawEventsCases } from './suite/raw-events.ts';
import { recoveryCases } from './suite/recovery.ts';
import { searchOrderCases } from './suite/search-order.ts';
import { sessionsCases } from './suite/sessions.ts';

// THE store test suite: every Store and Tx method and the commands of src/commands, run unchanged against
// each backend (test/store/*.test.ts). Both stores must behave the same: each area (test/store/suite/*.ts)
// runs on both, so the next difference between them is caught here. Where PostgreSQL adds concurrency of
// its own (several instances), the extra cases are here too, since SQLite must pass them as well (it
// serializes writers, so they hold trivially there).

export function storeSuite(backend: StoreBackend, skip: string | false): void {
  describe(`store suite: ${backend.name}`, { skip }, () => {
    const h = harness(backend);
    afterEach(() => h.close());
    after(() => backend.teardown());

    conversationsCases(h);
    messagesCases(h);
    searchOrderCases(h);
    idempotencyCases(h);
    logCases(h);
    sessionsCases(h);
    recoveryCases(h);
    availabilityCases(h);
    importCases(h);
    rawEventsCases(h);
  });
}
