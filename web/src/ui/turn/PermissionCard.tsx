import { type DecisionView, decisionText } from '../../state/permission';
import type { PermissionView } from '../../state/session';
import { useApp, useClient } from '../../lib/use-app';
import { Icon } from '../Icon';
import { DiffView } from './DiffView';
import './permission.css';

interface Props {
  sessionId: string;
  perm: PermissionView;
  /** The turn already shows the tool call (with its diff) above: the card does not repeat it. */
  toolShown: boolean;
}

/**
 * A question from the agent, with what it asks (the command, the files, the edit: CONTRACT
 * "Approvals"). Answerable from any tab; it disappears everywhere once answered.
 */
export function PermissionCard({ sessionId, perm, toolShown }: Props) {
  const client = useClient();
  const answering = useApp((s) => s.answering[perm.requestId]);
  return (
    <fieldset class="permission" data-request-id={perm.requestId}>
      <legend class="perm-head">
        <Icon name="lock" /> Permission needed: <strong>{perm.title}</strong>
      </legend>
      <div class="perm-what">
        {perm.command ? (
          <pre class="perm-command">
            <code>
              <span class="sr-only">Command: </span>$ {perm.command}
            </code>
          </pre>
        ) : null}
        {perm.paths.length ? (
          <ul class="perm-paths">
            {perm.paths.map((p) => (
              <li key={p}>
                <code>{p}</code>
              </li>
            ))}
          </ul>
        ) : null}
        {toolShown
          ? null
          : perm.diffs.map((d) => (
              <DiffView key={d.path} path={d.path} oldText={d.oldText} newText={d.newText} />
            ))}
      </div>
      <div class="perm-options">
        {perm.options.map((o) => (
          <button
            type="button"
            key={o.optionId}
            class={o.kind?.startsWith('reject') ? 'btn' : 'btn primary'}
            data-option-id={o.optionId}
            disabled={!!answering}
            aria-busy={answering === o.optionId}
            onClick={() => void client.turns.answer(sessionId, perm.requestId, o.optionId)}
          >
            {answering === o.optionId ? 'Sending…' : o.name}
          </button>
        ))}
      </div>
    </fieldset>
  );
}

/** Where a question was: who settled it and how ("You chose “Allow once”", "Allowed by auto-approve"). */
export function PermissionDecided({ d }: { d: DecisionView }) {
  const rejected = d.optionKind?.startsWith('reject') ?? false;
  return (
    <p
      class={`perm-decided ${rejected ? 'rejected' : ''}`}
      data-request-id={d.requestId}
      data-decided-by={d.decidedBy ?? 'none'}
    >
      <Icon name="lock" /> {d.title}: {decisionText(d)}
    </p>
  );
}
