import type { ParseArgsConfig } from 'node:util';

// Settings as flags: each flag means the same as its environment variable (README "Settings", CONTRACT
// section 1) and wins over it. The flags only rewrite a copy of the environment; src/config.ts reads it.

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | undefined>;

/** Flag → environment variable. */
export const SETTING_FLAGS: Record<string, string> = {
  port: 'PORT',
  host: 'HOST',
  'base-url': 'BASE_URL',
  'data-dir': 'GMGUI_DATA_DIR',
  roots: 'GMGUI_ROOTS',
  'agents-file': 'GMGUI_AGENTS_FILE',
  'database-url': 'DATABASE_URL',
  'allowed-origins': 'GMGUI_ALLOWED_ORIGINS',
  'max-agents': 'GMGUI_MAX_AGENTS',
  'log-level': 'LOG_LEVEL',
  'log-format': 'LOG_FORMAT',
};

/** parseArgs options for these setting flags (all of them when none are named). */
export function settingOptions(flags: string[] = Object.keys(SETTING_FLAGS)): Options {
  return Object.fromEntries(flags.map((f) => [f, { type: 'string' as const }]));
}

/** The environment with the given flags applied. */
export function envWithFlags(values: Values, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env = { ...base };
  for (const [flag, name] of Object.entries(SETTING_FLAGS)) {
    const v = values[flag];
    if (typeof v === 'string') env[name] = v;
  }
  return env;
}

/** Help lines for these flags: `  --port <value>   PORT`. */
export function settingsHelp(flags: string[] = Object.keys(SETTING_FLAGS)): string {
  return flags.map((f) => `  --${`${f} <value>`.padEnd(24)} ${SETTING_FLAGS[f]}`).join('\n');
}
