import type pg from 'pg';
import { newerSchemaError } from '../schema.ts';
import { POSTGRES_MIGRATIONS } from './migrations.ts';

// Brings a database up to the newest schema. Every instance calls this at start; a transaction-scoped
// advisory lock makes concurrent starts take turns (the second finds everything applied and does
// nothing). DDL is transactional in PostgreSQL, so a failed migration leaves no half-built schema.

/** Arbitrary but fixed: the advisory lock key that guards gmgui's migrations in a database. */
const MIGRATION_LOCK_KEY = 0x676d6775; // "gmgu"

export async function migrate(
  client: pg.ClientBase,
  migrations: string[] = POSTGRES_MIGRATIONS,
): Promise<number> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version INTEGER PRIMARY KEY,
         applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
       )`,
    );
    const { rows } = await client.query<{ v: number | null }>(
      'SELECT max(version) AS v FROM schema_migrations',
    );
    const current = rows[0]?.v ?? 0;
    if (current > migrations.length) throw newerSchemaError(current, migrations.length);
    for (let v = current; v < migrations.length; v++) {
      await client.query(migrations[v]);
      await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [v + 1]);
    }
    await client.query('COMMIT');
    return migrations.length;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}
