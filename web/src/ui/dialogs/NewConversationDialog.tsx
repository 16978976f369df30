import { useEffect, useMemo, useState } from 'preact/hooks';
import { errText } from '../../lib/errors';
import { newKey } from '../../outbox/core';
import { type AgentWithAuth, probeAgents, whyNot, withAuth } from '../../client/api-agents';
import { useApp, useClient } from '../../lib/use-app';
import { AgentSessionsList } from '../agent-sessions/AgentSessionsList';
import { SignInDialog } from '../agents/SignInDialog';
import { FolderBrowser } from './FolderBrowser';
import { Modal } from './Modal';
import './new-conversation.css';
import { ErrorLine } from '../ErrorLine';

interface OptionProps {
  a: AgentWithAuth;
  checked: boolean;
  /** The sign-in state of this agent is being asked for (GET /api/agents?probe=1). */
  checking: boolean;
  onPick: () => void;
  onSignIn: () => void;
}

/** One agent: pickable, or greyed with why not (not installed: how to install; needs sign-in: a button). */
function AgentOption({ a, checked, checking, onPick, onSignIn }: OptionProps) {
  const why = whyNot(a);
  return (
    // The label stays the option's frame; a button inside it is its own control (HTML: a label
    // does not activate its input for a click on interactive content).
    <label class={`agent ${why ? 'unavailable' : ''}`} data-agent-id={a.id} data-why-not={why ?? undefined}>
      <input type="radio" name="agent" value={a.id} checked={checked} disabled={!!why} onChange={onPick} />
      <span class="agent-text">
        <span class="agent-name">
          {a.name}
          {a.needsSignIn === true ? <span class="badge warn">needs sign-in</span> : null}
        </span>
        {!a.available ? (
          <span class="muted">
            {a.reason ?? 'Not available'}
            {a.install ? (
              <>
                {' Install: '}
                <code>{a.install}</code>
              </>
            ) : null}
          </span>
        ) : a.needsSignIn === true ? (
          <span class="muted">It refused to start until you sign it in.</span>
        ) : (
          <>
            {a.description ? <span class="muted">{a.description}</span> : null}
            {checking && a.needsSignIn == null ? (
              <span class="muted">Checking whether it is signed in…</span>
            ) : null}
          </>
        )}
      </span>
      {a.available && a.needsSignIn === true ? (
        <button
          type="button"
          class="btn small agent-sign-in"
          onClick={(e) => {
            e.preventDefault();
            onSignIn();
          }}
          aria-label={`Sign in to ${a.name}`}
        >
          Sign in
        </button>
      ) : null}
    </label>
  );
}

/** The agent offered first: a real one that works, else the demo, so a new user sees everything work. */
function preferred(agents: AgentWithAuth[]): AgentWithAuth | undefined {
  const usable = agents.filter((a) => !whyNot(a));
  return (
    usable.find((a) => a.id !== 'demo' && a.needsSignIn === false) ??
    usable.find((a) => a.id !== 'demo') ??
    usable[0]
  );
}

/** New conversation: pick an agent (the ones not installed say how to get them) and a folder. */
export function NewConversationDialog() {
  const client = useClient();
  // Agents the person signed in from a terminal: the server learns it only when one next opens a session.
  const [vouched, setVouched] = useState<ReadonlySet<string>>(new Set());
  const agents =
    useApp((s) => s.agents)
      ?.map(withAuth)
      .map((a) => (vouched.has(a.id) && a.needsSignIn ? { ...a, needsSignIn: null } : a)) ?? null;
  const agentsError = useApp((s) => s.agentsError);
  const [agentId, setAgentId] = useState<string>('');
  // The person chose this agent (a preselection may still move to a better one as facts arrive).
  const [chosen, setChosen] = useState(false);
  const [checking, setChecking] = useState(true);
  const [signingIn, setSigningIn] = useState('');
  const [cwd, setCwd] = useState('');
  const [roots, setRoots] = useState<string[]>([]);
  const [title, setTitle] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  // One key per dialog: a double submit or a retry after a timeout creates one conversation.
  const key = useMemo(() => newKey(), []);
  const available = agents?.filter((a) => a.available) ?? [];
  const missing = agents?.filter((a) => !a.available) ?? [];

  // Starting the agents whose sign-in state is unknown tells which would refuse to work.
  useEffect(() => {
    void probeAgents(client).finally(() => setChecking(false));
  }, [client]);

  useEffect(() => {
    client.api
      .home()
      .then((r) => {
        setRoots(r.roots ?? []);
        setCwd((c) => c || r.home);
      })
      .catch(() => undefined);
  }, [client]);

  // Never preselect an agent that cannot work; a choice the probe shows to need sign-in moves on.
  const current = agents?.find((a) => a.id === agentId);
  const best = agents ? preferred(agents)?.id : undefined;
  const stale = !agentId || !current || !!whyNot(current);
  useEffect(() => {
    if (chosen && !stale) return;
    if (stale || best !== agentId) setAgentId(best ?? '');
  }, [chosen, stale, best, agentId]);

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
              <AgentOption
                key={a.id}
                a={a}
                checked={agentId === a.id}
                checking={checking}
                onPick={() => {
                  setAgentId(a.id);
                  setChosen(true);
                }}
                onSignIn={() => setSigningIn(a.id)}
              />
            ))}
            {missing.length ? (
              <details class="missing-agents">
                <summary>Not installed ({missing.length})</summary>
                {missing.map((a) => (
                  <AgentOption
                    key={a.id}
                    a={a}
                    checked={false}
                    checking={false}
                    onPick={() => undefined}
                    onSignIn={() => undefined}
                  />
                ))}
              </details>
            ) : null}
          </fieldset>
          <fieldset>
            <legend>Working folder</legend>
            <FolderBrowser value={cwd} onChange={setCwd} roots={roots} />
          </fieldset>
          <AgentSessionsList agentId={agentId} cwd={cwd} />
          <label class="field">
            <span>Title (optional)</span>
            <input
              type="text"
              value={title}
              onInput={(e) => setTitle((e.target as HTMLInputElement).value)}
            />
          </label>
          <ErrorLine error={error} />
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
      {signingIn ? (
        <SignInDialog
          agentId={signingIn}
          then="use it"
          onClose={() => setSigningIn('')}
          onSignedIn={() => {
            setSigningIn('');
            setVouched((v) => new Set([...v, signingIn]));
            setAgentId(signingIn);
            setChosen(true);
          }}
        />
      ) : null}
    </Modal>
  );
}
