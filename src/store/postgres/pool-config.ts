import pg from 'pg';

// Connection settings shared by the pool and the LISTEN client.

export interface PostgresStoreOptions {
  /** Most connections this instance opens for queries (the LISTEN client is one more). */
  poolMax?: number;
  /** How often lastSeq is polled, so a lost notification only delays a wake-up. */
  pollMs?: number;
  /** Longest a single statement may run before the server cancels it. */
  statementTimeoutMs?: number;
  /** How many times a transaction is re-run after a serialization failure, deadlock or idempotency race. */
  maxAttempts?: number;
}

export const DEFAULTS = {
  // Two cores, short transactions: ten connections keep every core busy without crowding the server,
  // whose default max_connections (100) must serve several instances.
  poolMax: 10,
  pollMs: 1000,
  statementTimeoutMs: 30_000,
  maxAttempts: 8,
} satisfies Required<PostgresStoreOptions>;

const INT8_OID = 20;

/**
 * BIGINT (epoch milliseconds, seq, count(*)) comes back from pg as a string by default, to be safe beyond
 * 2^53. Our values stay far below that, so read them as numbers: for this connection only, not globally.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID && format !== 'binary') return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig['getTypeParser'],
};

export function clientConfig(url: string, opts: Required<PostgresStoreOptions>): pg.ClientConfig {
  return {
    connectionString: url,
    types,
    application_name: 'gmgui',
    connectionTimeoutMillis: 5_000,
    keepAlive: true,
    statement_timeout: opts.statementTimeoutMs,
    // A transaction left open by a stuck caller must not hold the log head (or any row) forever.
    idle_in_transaction_session_timeout: 60_000,
  };
}

export function poolConfig(url: string, opts: Required<PostgresStoreOptions>): pg.PoolConfig {
  return {
    ...clientConfig(url, opts),
    max: opts.poolMax,
    idleTimeoutMillis: 30_000,
  };
}
