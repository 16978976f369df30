// The one state of the web app (docs/DESIGN.md, "the web client's one state"): what every
// component reads through the store. Only the modules of src/client change it.

import type { Api } from '../net/api';
import type { ConnState } from '../net/socket';
import type { OutboxItem } from '../outbox/core';
import type { ConversationView } from '../state/conversation';
import { emptyList, type ListState } from '../state/conversations';
import type { Store } from '../state/store';
import type { Agent } from '../types';
import type { Notices } from './notices';

export type ViewStatus = 'idle' | 'loading' | 'ready' | 'missing' | 'error';

export interface Notice {
  id: number;
  text: string;
  kind: 'info' | 'error';
}

export interface AppState {
  auth: 'checking' | 'ok' | 'unauthorized' | 'unreachable';
  list: ListState;
  listLoaded: boolean;
  syncConn: ConnState;
  selectedId: string | null;
  view: ConversationView | null;
  viewStatus: ViewStatus;
  viewError: string;
  streamConn: ConnState;
  /** Loading of older history pages of the open conversation. */
  older: 'idle' | 'loading' | 'error';
  outbox: OutboxItem[];
  outboxPersistent: boolean;
  agents: Agent[] | null;
  agentsError: string;
  /** Server-side search results (`?q=`), for the query they answer. */
  searchHits: { q: string; ids: ReadonlySet<string> } | null;
  /** Lower-cased text of conversations loaded in this tab, for client-side content search. */
  contentIndex: Record<string, string>;
  /** Permission requests this tab is answering (buttons disabled until the event says so). */
  answering: Record<string, string>;
  notices: Notice[];
  online: boolean;
  newDialogOpen: boolean;
  /** The page was opened with a `?token=` the server refused (the sign-in screen says so). */
  tokenRejected: boolean;
}

export const initialState: AppState = {
  auth: 'checking',
  list: emptyList,
  listLoaded: false,
  syncConn: { kind: 'connecting', attempt: 0 },
  selectedId: null,
  view: null,
  viewStatus: 'idle',
  viewError: '',
  streamConn: { kind: 'closed' },
  older: 'idle',
  outbox: [],
  outboxPersistent: true,
  agents: null,
  agentsError: '',
  searchHits: null,
  contentIndex: {},
  answering: {},
  notices: [],
  online: typeof navigator === 'undefined' ? true : navigator.onLine,
  newDialogOpen: false,
  tokenRejected: false,
};

/** What every part of the controller reaches: the state, the server, the notices (client.ts). */
export interface Core {
  readonly store: Store<AppState>;
  readonly api: Api;
  readonly notices: Notices;
}

/**
 * The server cannot be reached right now (offline, or the open conversation's stream is
 * reconnecting after a loss): a running turn's state is unknown then and Stop could not arrive.
 */
export function serverUnreachable(s: AppState): boolean {
  if (!s.online) return true;
  const c = s.streamConn;
  return c.kind === 'waiting' || (c.kind === 'connecting' && c.attempt > 0);
}
