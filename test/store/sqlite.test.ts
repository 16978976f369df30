import { sqliteBackend } from './backends.ts';
import { storeSuite } from './suite.ts';

// The shared store suite on SQLite (a temp file per test).
storeSuite(sqliteBackend(), false);
