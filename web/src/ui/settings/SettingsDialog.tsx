import { useEffect, useState } from 'preact/hooks';
import {
  autoApproveOf,
  deleteRule,
  listRules,
  type PermissionRule,
  setAutoApprove,
} from '../../client/api-agents';
import { errText } from '../../lib/errors';
import { useApp, useClient } from '../../lib/use-app';
import { titleOf } from '../../state/conversations';
import { Modal } from '../dialogs/Modal';
import './settings.css';
import { ErrorLine } from '../ErrorLine';
import { CloseActions } from '../dialogs/CloseActions';

/**
 * The open conversation's auto-approve switch (`settings.autoApprove`: the server has it per
 * conversation, CONTRACT sections 8 and 11); without an open conversation there is nothing to switch.
 */
function AutoApprove() {
  const client = useClient();
  const conversation = useApp((s) => s.view?.conversation ?? null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  if (!conversation) {
    return <p class="muted">Open a conversation to switch auto-approve for it.</p>;
  }
  const on = autoApproveOf(conversation);
  const toggle = async () => {
    setBusy(true);
    setError('');
    try {
      await setAutoApprove(client, conversation.id, !on);
    } catch (e) {
      setError(errText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <label class="switch-row">
        <input
          type="checkbox"
          role="switch"
          aria-checked={on}
          name="auto-approve"
          checked={on}
          disabled={busy}
          onChange={() => void toggle()}
        />
        <span>
          Auto-approve in “{titleOf(conversation)}”
          <span class="muted">
            {on
              ? 'Every permission request of this conversation is allowed without asking you.'
              : 'Off: the agent waits for your answer (or a rule below).'}
          </span>
        </span>
      </label>
      <ErrorLine error={error} />
    </>
  );
}

/** The "always allow" answers the server remembers, each revocable (GET/DELETE /api/permissions/rules). */
function Rules() {
  const client = useClient();
  const [rules, setRules] = useState<PermissionRule[] | null>(null);
  const [error, setError] = useState('');
  const [removing, setRemoving] = useState('');

  useEffect(() => {
    listRules(client)
      .then(setRules)
      .catch((e) => setError(errText(e)));
  }, [client]);

  const remove = async (r: PermissionRule) => {
    setRemoving(r.id);
    setError('');
    try {
      await deleteRule(client, r.id);
      setRules((list) => list?.filter((x) => x.id !== r.id) ?? null);
    } catch (e) {
      setError(errText(e));
    } finally {
      setRemoving('');
    }
  };

  return (
    <>
      {rules === null && !error ? <p class="muted">Loading…</p> : null}
      {rules?.length === 0 ? (
        <p class="muted rules-empty">
          None yet. Choosing “Always allow” on a permission request remembers it here, for that conversation.
        </p>
      ) : null}
      {rules?.length ? (
        <ul class="rules">
          {rules.map((r) => {
            const where = r.conversationTitle || 'Untitled conversation';
            return (
              <li key={r.id} class="rule" data-rule-id={r.id} data-rule-key={r.key}>
                <span class="rule-text">
                  <span>{r.label}</span>
                  <span class="muted">in “{where}”</span>
                </span>
                <button
                  type="button"
                  class="btn small"
                  disabled={removing === r.id}
                  aria-label={`Remove “${r.label}” in “${where}”`}
                  onClick={() => void remove(r)}
                >
                  {removing === r.id ? 'Removing…' : 'Remove'}
                </button>
              </li>
            );
          })}
        </ul>
      ) : null}
      <ErrorLine error={error} />
    </>
  );
}

/** Settings: how permission requests are answered without asking. */
export function SettingsDialog({ onClose }: { onClose: () => void }) {
  return (
    <Modal labelledBy="settings-title" onClose={onClose} class="settings-dialog">
      <h2 id="settings-title">Settings</h2>
      <section aria-labelledby="settings-auto">
        <h3 id="settings-auto">Auto-approve</h3>
        <AutoApprove />
      </section>
      <section aria-labelledby="settings-rules">
        <h3 id="settings-rules">“Always allow” rules</h3>
        <Rules />
      </section>
      <CloseActions onClose={onClose} />
    </Modal>
  );
}
