import type pg from 'pg';

/**
 * A pooled connection for a while. The pool listens for connection errors only on idle connections; one
 * that breaks while checked out but between queries (e.g. inside a transaction waiting on the caller)
 * would emit an unhandled 'error' and crash the process. Here it is caught, and the connection is
 * discarded on release instead of going back to the pool.
 */
export async function checkout(
  pool: pg.Pool,
): Promise<{ client: pg.PoolClient; release: (err?: Error) => void }> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (err: Error) => {
    lost ??= err;
  };
  client.on('error', onError);
  return {
    client,
    release: (err?: Error) => {
      client.removeListener('error', onError);
      client.release(err ?? lost);
    },
  };
}

/** host:port/database without the password, for messages. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'the configured address';
  }
}
