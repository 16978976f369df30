import { setTimeout as sleep } from 'node:timers/promises';
import { createConversation } from '../../src/commands/conversations.ts';
import {
  openPostgresStore,
  type PostgresStore,
  type PostgresStoreOptions,
} from '../../src/store/postgres/postgres-store.ts';
import type { Store } from '../../src/store/types.ts';
import { type TestDatabase, usePgDatabase } from '../helpers/pg.ts';
import { useResource } from '../helpers/use.ts';

// Several store instances (each its own pool, as in separate server processes) on one test database,
// shared by store-instances.test.ts and store-wakeups.test.ts. Call inside a describe().

export function useStoreInstances(name: string): {
  db: TestDatabase;
  open(opts?: PostgresStoreOptions, url?: string): Promise<PostgresStore>;
} {
  const db = usePgDatabase(name);
  // Closed before the database is dropped (after hooks stop the newest first).
  const opened = useResource(
    'the stores',
    async () => [] as Store[],
    async (stores) => {
      await Promise.all(stores.map((s) => s.close().catch(() => undefined)));
    },
  );
  const open = async (opts: PostgresStoreOptions = {}, url = db.url): Promise<PostgresStore> => {
    const s = await openPostgresStore(url, { pollMs: 200, ...opts });
    opened.push(s);
    return s;
  };
  return { db, open };
}

/** Two stores that only learn of appends by notification (polling is too slow to matter), and a conversation. */
export async function twoListeningStores(
  open: (opts?: PostgresStoreOptions) => Promise<PostgresStore>,
): Promise<{ a: PostgresStore; b: PostgresStore; conversationId: string }> {
  const a = await open({ pollMs: 600_000 });
  const b = await open({ pollMs: 600_000 });
  const c = await b.transaction((t) => createConversation(t, { agentId: 'demo', cwd: '/w' }));
  await sleep(50);
  return { a, b, conversationId: c.id };
}
