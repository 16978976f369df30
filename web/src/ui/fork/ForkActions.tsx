import { useState } from 'preact/hooks';
import { errText } from '../../lib/errors';
import { useClient } from '../../lib/use-app';
import { FINISHED, type SessionView } from '../../state/session';
import { type Message, messageText } from '../../types';
import { editAndResend, forkAndOpen } from './actions';
import './fork.css';

// "Fork from here" under each user message and each finished answer, "Edit" under user messages
// (CONTRACT "The agent's own sessions and forks": edit-and-resend is a fork at the message before).

function useAction(): [busy: boolean, run: (what: string, f: () => Promise<void>) => void] {
  const client = useClient();
  const [busy, setBusy] = useState(false);
  const run = (what: string, f: () => Promise<void>) => {
    if (busy) return;
    setBusy(true);
    f()
      .catch((e: unknown) => client.notices.notify(`Could not ${what}: ${errText(e)}`, 'error'))
      .finally(() => setBusy(false));
  };
  return [busy, run];
}

function ForkButton({ conversationId, messageId }: { conversationId: string; messageId: string }) {
  const client = useClient();
  const [busy, run] = useAction();
  return (
    <button
      type="button"
      class="link-btn fork-btn"
      data-fork-from={messageId}
      disabled={busy}
      title="A new conversation that continues from here; this one stays as it is"
      onClick={() => run('fork', () => forkAndOpen(client, conversationId, messageId))}
    >
      {busy ? 'Forking…' : 'Fork from here'}
    </button>
  );
}

/** Under a user message: fork from it, or edit it and send again (in a fork). */
export function MessageActions({ message }: { message: Message }) {
  const client = useClient();
  const [busy, run] = useAction();
  return (
    <div class="fork-actions">
      <button
        type="button"
        class="link-btn edit-btn"
        data-edit-message={message.id}
        disabled={busy}
        title="Change this message and send it again, in a new conversation; this one stays as it is"
        onClick={() =>
          run('edit the message', () =>
            editAndResend(client, message.conversationId, message.id, messageText(message)),
          )
        }
      >
        {busy ? 'Opening…' : 'Edit'}
      </button>
      <ForkButton conversationId={message.conversationId} messageId={message.id} />
    </div>
  );
}

/** Under a finished answer that has its assistant message. */
export function TurnForkAction({ session, answer }: { session: SessionView; answer: Message | null }) {
  const m = answer ?? session.answer;
  if (!m || !FINISHED.has(session.status)) return null;
  return (
    <div class="fork-actions">
      <ForkButton conversationId={m.conversationId} messageId={m.id} />
    </div>
  );
}
