// Exit codes of every gmgui command, in one place: scripts, systemd units and Docker health tooling rely
// on them (README "Exit codes", docs/deploy.md). A code keeps its meaning across commands.

export const EXIT = {
  ok: 0,
  /** Unexpected failure; for `stop`, the server did not stop in time; for `doctor`, a check failed. */
  failed: 1,
  /** A bad setting, flag or command. */
  usage: 2,
  /** The data directory is not writable (no permission, read-only, disk full). */
  dataDir: 3,
  /** The port is taken or the address is not usable. */
  address: 4,
  /** PostgreSQL is unreachable. */
  postgres: 5,
  /** The SQLite database is damaged; nothing was changed in it (src/store/sqlite/open-db.ts). */
  damaged: 6,
  /** Another gmgui server is running on the same data directory (src/cli/data-lock.ts). */
  dataDirInUse: 7,
  /** `verify`: the tables differ from what the event log rebuilds (each difference is printed). */
  differs: 8,
  /** The command does not apply to this store (`backup` on PostgreSQL: pg_dump is the tool). */
  unsupported: 9,
} as const;

/** The exit codes as the help text and the README state them. */
export const EXIT_CODES_TEXT = `Exit codes: 0 ok; 1 failed (stop: still running after --timeout; doctor: a check failed);
2 bad setting, flag or command; 3 data directory not writable; 4 port taken or address unusable;
5 PostgreSQL unreachable; 6 database damaged (left unchanged); 7 another gmgui server is using the
data directory; 8 verify found differences; 9 not supported with this store.`;
