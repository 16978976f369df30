import { useEffect, useState } from 'preact/hooks';
import {
  type AgentWithAuth,
  type AuthMethod,
  authenticate,
  probeAgents,
  withAuth,
} from '../../client/api-agents';
import { copyText } from '../../lib/clipboard';
import { errText } from '../../lib/errors';
import { useApp, useClient } from '../../lib/use-app';
import { Modal } from '../dialogs/Modal';
import './sign-in.css';
import { ErrorLine } from '../ErrorLine';
import { CloseActions } from '../dialogs/CloseActions';

interface Props {
  agentId: string;
  /** The agent is signed in (or the person says they did it in a terminal). */
  onSignedIn: () => void;
  onClose: () => void;
  /** What happens after signing in, for the buttons' words ("Sign in and retry"). */
  then?: string;
}

function TerminalMethod({ m, then, onDone }: { m: AuthMethod; then: string; onDone: () => void }) {
  const [copied, setCopied] = useState('');
  const line = m.terminal?.commandLine;
  return (
    <>
      <p class="muted">
        This one needs a terminal on the server (it may open a browser there). Run this command, finish
        signing in, then come back:
      </p>
      {line ? (
        <div class="sign-in-command">
          <pre>
            <code>{line}</code>
          </pre>
          <button
            type="button"
            class="btn small"
            onClick={() => void copyText(line).then((ok) => setCopied(ok ? 'Copied' : 'Copy failed'))}
          >
            {copied || 'Copy'}
          </button>
        </div>
      ) : null}
      <button type="button" class="btn" data-method-id={m.id} onClick={onDone}>
        I have signed in{then ? `, ${then}` : ''}
      </button>
    </>
  );
}

/**
 * Signing an agent in (CONTRACT section 11, "Signing agents in"): its methods as it offers them.
 * gmgui runs an `agent` method itself (ACP `authenticate`, which may wait for a browser); a
 * `terminal` method is the agent's own command, shown to run by hand.
 */
export function SignInDialog({ agentId, onSignedIn, onClose, then = '' }: Props) {
  const client = useClient();
  const agents = useApp((s) => s.agents);
  const agent: AgentWithAuth = withAuth(
    agents?.find((a) => a.id === agentId) ?? { id: agentId, name: agentId, available: true },
  );
  const methods = agent.authMethods;
  const unknown = methods === undefined;
  const [busy, setBusy] = useState('');
  const [error, setError] = useState('');
  const [probing, setProbing] = useState(false);

  // The methods are known once the agent answered `initialize`: start it if that never happened.
  useEffect(() => {
    if (!unknown) return;
    setProbing(true);
    void probeAgents(client).finally(() => setProbing(false));
  }, [client, unknown]);

  const run = async (m: AuthMethod) => {
    setBusy(m.id);
    setError('');
    try {
      await authenticate(client, agentId, m.id);
      onSignedIn();
    } catch (e) {
      setError(errText(e));
      setBusy('');
    }
  };

  const name = agent.name;
  return (
    <Modal labelledBy="sign-in-title" onClose={onClose} class="sign-in-dialog">
      <h2 id="sign-in-title">Sign in to {name}</h2>
      <p>{name} needs you to sign in before it can work here. Choose how:</p>
      {methods === undefined ? (
        <p class="muted">
          {probing ? 'Asking the agent how it signs in…' : 'The agent did not say how it signs in.'}
        </p>
      ) : methods.length === 0 ? (
        <p class="muted">
          {name} offers no way to sign in through gmgui. Sign it in on the server as its documentation says,
          then try again.
        </p>
      ) : (
        <ul class="auth-methods">
          {methods.map((m) => (
            <li key={m.id} class="auth-method" data-method-id={m.id} data-type={m.type}>
              <strong>{m.name}</strong>
              {m.description ? <span class="muted">{m.description}</span> : null}
              {m.type === 'terminal' ? (
                <TerminalMethod m={m} then={then} onDone={onSignedIn} />
              ) : (
                <button
                  type="button"
                  class="btn primary"
                  data-method-id={m.id}
                  disabled={!!busy}
                  aria-busy={busy === m.id}
                  onClick={() => void run(m)}
                >
                  {busy === m.id
                    ? 'Signing in… (finish in the browser if one opened)'
                    : `Sign in${then ? ` and ${then}` : ''}`}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <ErrorLine error={error} />
      <CloseActions label="Cancel" onClose={onClose} />
    </Modal>
  );
}
