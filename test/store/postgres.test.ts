import { pgSkipReason } from '../helpers/pg.ts';
import { postgresBackend } from './backends.ts';
import { storeSuite } from './suite.ts';

// The shared store suite on PostgreSQL (a fresh database for the run, dropped at the end). Skipped with a
// loud warning when PostgreSQL is unreachable, a failure under GMGUI_REQUIRE_ALL=1.
storeSuite(postgresBackend(), await pgSkipReason());
