import { useEffect, useState } from 'preact/hooks';
import { errText } from '../../lib/errors';
import { useClient } from '../../lib/use-app';
import { Api, ApiError } from '../../net/api';
import { upsert } from '../../state/conversations';
import type { Conversation } from '../../types';
import './agent-sessions.css';
import { ErrorLine } from '../ErrorLine';

// "Continue an agent session" in the new-conversation dialog (CONTRACT "The agent's own sessions and
// forks"): the sessions the chosen agent keeps for the chosen folder (ACP session/list, paged), each
// with a button that imports it as a conversation (its history stored) and opens it; the next message
// goes on in the same agent session. Agents that do not list their sessions show nothing.

interface AgentSession {
  sessionId: string;
  cwd: string;
  title: string | null;
  updatedAt: string | null;
  conversationId: string | null;
}

interface Page {
  sessions: AgentSession[];
  nextCursor: string | null;
}

const enc = encodeURIComponent;
/** The server gives an agent a minute to list and five to load a session: wait a little longer. */
const LIST_TIMEOUT_MS = 70_000;
const IMPORT_TIMEOUT_MS = 5 * 60_000 + 15_000;

function when(iso: string | null): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  return Number.isNaN(t) ? '' : new Date(t).toLocaleString();
}

export function AgentSessionsList({ agentId, cwd }: { agentId: string; cwd: string }) {
  const client = useClient();
  const patient = (timeoutMs: number) =>
    new Api({ base: client.base, onUnauthorized: () => client.signedOut(), timeoutMs });
  const [sessions, setSessions] = useState<AgentSession[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [state, setState] = useState<'idle' | 'loading' | 'none' | 'error'>('idle');
  const [error, setError] = useState('');
  const [importing, setImporting] = useState('');

  const load = async (after: string | null, replace: boolean, stale: () => boolean = () => false) => {
    setState('loading');
    try {
      const page = await patient(LIST_TIMEOUT_MS).call<Page>(
        'GET',
        `api/agents/${enc(agentId)}/sessions?cwd=${enc(cwd)}${after ? `&cursor=${enc(after)}` : ''}`,
      );
      if (stale()) return;
      setSessions((old) => (replace ? page.sessions : [...old, ...page.sessions]));
      setCursor(page.nextCursor);
      setState('idle');
    } catch (err) {
      if (stale()) return;
      // An agent that keeps no list (or cannot be asked) simply has nothing to continue here.
      if (err instanceof ApiError && err.code === 'agent_sessions_unsupported') setState('none');
      else {
        setError(errText(err));
        setState('error');
      }
    }
  };

  useEffect(() => {
    setSessions([]);
    setCursor(null);
    setError('');
    if (!agentId || !cwd) return;
    let gone = false;
    // Typing a folder path should not start an agent per key.
    const t = setTimeout(() => void load(null, true, () => gone), 400);
    return () => {
      gone = true;
      clearTimeout(t);
    };
  }, [agentId, cwd]);

  const open = async (s: AgentSession) => {
    if (importing) return;
    setImporting(s.sessionId);
    setError('');
    try {
      const r = await patient(IMPORT_TIMEOUT_MS).call<{ conversation: Conversation }>(
        'POST',
        `api/agents/${enc(agentId)}/sessions/import`,
        { sessionId: s.sessionId, cwd: s.cwd, ...(s.title ? { title: s.title } : {}) },
      );
      client.store.set((st) => ({ list: upsert(st.list, r.conversation), newDialogOpen: false }));
      client.select(r.conversation.id);
    } catch (err) {
      setError(errText(err));
      setImporting('');
    }
  };

  if (!agentId || state === 'none' || (state === 'idle' && sessions.length === 0 && !error)) return null;
  return (
    <fieldset class="agent-sessions" aria-busy={state === 'loading'}>
      <legend>Continue an agent session</legend>
      {state === 'loading' && sessions.length === 0 ? <p class="muted">Asking the agent…</p> : null}
      <ul>
        {sessions.map((s) => (
          <li key={s.sessionId} data-agent-session={s.sessionId}>
            <span class="agent-session-text">
              <span class="agent-session-title">{s.title || s.sessionId}</span>
              <span class="muted">{when(s.updatedAt)}</span>
            </span>
            <button
              type="button"
              class="btn small"
              disabled={!!importing}
              onClick={() => void open(s)}
              aria-label={`Continue “${s.title || s.sessionId}”`}
            >
              {importing === s.sessionId ? 'Loading…' : s.conversationId ? 'Open' : 'Continue'}
            </button>
          </li>
        ))}
      </ul>
      {cursor ? (
        <button
          type="button"
          class="btn small"
          disabled={state === 'loading'}
          onClick={() => void load(cursor, false)}
        >
          More
        </button>
      ) : null}
      <ErrorLine error={error} />
    </fieldset>
  );
}
