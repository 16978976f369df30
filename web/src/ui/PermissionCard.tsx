import type { PermissionView } from '../state/session';
import { useApp, useClient } from './context';
import { Icon } from './Icon';

/** A question from the agent. Answerable from any tab; it disappears everywhere once answered. */
export function PermissionCard({ sessionId, perm }: { sessionId: string; perm: PermissionView }) {
  const client = useClient();
  const answering = useApp((s) => s.answering[perm.requestId]);
  return (
    <fieldset class="permission" data-request-id={perm.requestId}>
      <legend class="perm-head">
        <Icon name="lock" /> Permission needed: <strong>{perm.title}</strong>
      </legend>
      <div class="perm-options">
        {perm.options.map((o) => (
          <button
            type="button"
            key={o.optionId}
            class={o.kind?.startsWith('reject') ? 'btn' : 'btn primary'}
            data-option-id={o.optionId}
            disabled={!!answering}
            aria-busy={answering === o.optionId}
            onClick={() => void client.answer(sessionId, perm.requestId, o.optionId)}
          >
            {answering === o.optionId ? 'Sending…' : o.name}
          </button>
        ))}
      </div>
    </fieldset>
  );
}
