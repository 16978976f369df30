import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.ts';
import { StartupError } from './data-dir.ts';
import { startServer } from './server.ts';

// gmgui [serve] [--port N] [--host H] [--data-dir D] [--base-url P] [--roots A:B] [--agents-file F]
// Flags mean the same as the environment variables of CONTRACT section 1 and win over them.

const FLAG_TO_ENV: Record<string, string> = {
  port: 'PORT',
  host: 'HOST',
  'base-url': 'BASE_URL',
  'data-dir': 'GMGUI_DATA_DIR',
  roots: 'GMGUI_ROOTS',
  'agents-file': 'GMGUI_AGENTS_FILE',
  'database-url': 'DATABASE_URL',
  'allowed-origins': 'GMGUI_ALLOWED_ORIGINS',
};

const HELP = `gmgui: drive coding agents from your browser.

Usage: npm start [-- --port 3000 --host 127.0.0.1 --data-dir ~/.gmgui --roots ~/code]

Every flag has an environment variable of the same meaning (see README): ${Object.values(FLAG_TO_ENV).join(', ')}.`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      ...Object.fromEntries(Object.keys(FLAG_TO_ENV).map((k) => [k, { type: 'string' as const }])),
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const command = positionals[0] ?? 'serve';
  if (command !== 'serve') throw new ConfigError(`Unknown command "${command}". Try: gmgui serve`);
  const env = { ...process.env };
  for (const [flag, name] of Object.entries(FLAG_TO_ENV)) {
    const v = (values as Record<string, unknown>)[flag];
    if (typeof v === 'string') env[name] = v;
  }
  const config = loadConfig(env);
  const server = await startServer(config);
  const link = `${server.url}/?token=${encodeURIComponent(server.token)}`;
  // The one line a person needs: printed plainly on stdout, never through the JSON logs.
  process.stdout.write(`\ngmgui is ready: open ${link}\n  data: ${config.dataDir}  store: ${server.store.kind}\n\n`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      process.stderr.write(`${signal} again: exiting now.\n`);
      process.exit(130);
    }
    stopping = true;
    server.app.log.info({ signal }, 'shutting down');
    server
      .stop()
      .then(() => process.exit(0))
      .catch((err) => {
        process.stderr.write(`Shutdown failed: ${String(err)}\n`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  if (err instanceof StartupError) {
    process.stderr.write(`gmgui: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  if (err instanceof ConfigError) {
    process.stderr.write(`gmgui: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`gmgui failed to start: ${err?.stack ?? err}\n`);
  process.exit(1);
});
