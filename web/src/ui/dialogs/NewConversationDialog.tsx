import { useEffect, useMemo, useState } from 'preact/hooks';
import { errText } from '../../lib/errors';
import { newKey } from '../../outbox/core';
import type { Agent } from '../../types';
import { useApp, useClient } from '../../lib/use-app';
import { FolderBrowser } from './FolderBrowser';
import { Modal } from './Modal';
import './new-conversation.css';

function AgentOption({ a, checked, onPick }: { a: Agent; checked: boolean; onPick: () => void }) {
  return (
    <label class={`agent ${a.available ? '' : 'unavailable'}`}>
      <input
        type="radio"
        name="agent"
        value={a.id}
        checked={checked}
        disabled={!a.available}
        onChange={onPick}
      />
      <span class="agent-text">
        <span class="agent-name">{a.name}</span>
        {a.available ? (
          a.description ? (
            <span class="muted">{a.description}</span>
          ) : null
        ) : (
          <span class="muted">
            {a.reason ?? 'Not available'}
            {a.install ? (
              <>
                {' Install: '}
                <code>{a.install}</code>
              </>
            ) : null}
          </span>
        )}
      </span>
    </label>
  );
}

/** New conversation: pick an agent (the ones not installed say how to get them) and a folder. */
export function NewConversationDialog() {
  const client = useClient();
  const agents = useApp((s) => s.agents);
  const agentsError = useApp((s) => s.agentsError);
  const [agentId, setAgentId] = useState<string>('');
  const [cwd, setCwd] = useState('');
  const [roots, setRoots] = useState<string[]>([]);
  const [title, setTitle] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  // One key per dialog: a double submit or a retry after a timeout creates one conversation.
  const key = useMemo(() => newKey(), []);
  const available = agents?.filter((a) => a.available) ?? [];
  const missing = agents?.filter((a) => !a.available) ?? [];

  useEffect(() => {
    client.api
      .home()
      .then((r) => {
        setRoots(r.roots ?? []);
        setCwd((c) => c || r.home);
      })
      .catch(() => undefined);
  }, [client]);

  useEffect(() => {
    if (agentId || !agents) return;
    // A real agent when one is installed; the demo otherwise, so a new user sees everything work.
    const first = agents.find((a) => a.available && a.id !== 'demo') ?? agents.find((a) => a.available);
    if (first) setAgentId(first.id);
  }, [agents, agentId]);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!agentId || busy) return;
    setBusy(true);
    setError('');
    try {
      await client.create(agentId, cwd || undefined, title, key);
    } catch (err) {
      setError(errText(err));
      setBusy(false);
    }
  };

  return (
    <Modal labelledBy="new-title" onClose={() => client.openNewDialog(false)} class="new-dialog">
      <form onSubmit={submit} class="new-form">
        <h2 id="new-title">New conversation</h2>
        <div class="new-scroll">
          <fieldset class="agents">
            <legend>Agent</legend>
            {agents === null ? (
              <p class="muted">{agentsError ? `Could not load agents: ${agentsError}` : 'Loading agents…'}</p>
            ) : null}
            {available.map((a) => (
              <AgentOption key={a.id} a={a} checked={agentId === a.id} onPick={() => setAgentId(a.id)} />
            ))}
            {missing.length ? (
              <details class="missing-agents">
                <summary>Not installed ({missing.length})</summary>
                {missing.map((a) => (
                  <AgentOption key={a.id} a={a} checked={false} onPick={() => undefined} />
                ))}
              </details>
            ) : null}
          </fieldset>
          <fieldset>
            <legend>Working folder</legend>
            <FolderBrowser value={cwd} onChange={setCwd} roots={roots} />
          </fieldset>
          <label class="field">
            <span>Title (optional)</span>
            <input
              type="text"
              value={title}
              onInput={(e) => setTitle((e.target as HTMLInputElement).value)}
            />
          </label>
          {error ? (
            <p class="turn-error" role="alert">
              {error}
            </p>
          ) : null}
        </div>
        <div class="actions">
          <button type="button" class="btn" onClick={() => client.openNewDialog(false)}>
            Cancel
          </button>
          <button type="submit" class="btn primary" disabled={!agentId || busy}>
            {busy ? 'Creating…' : 'Create'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
