import { useState } from 'preact/hooks';
import { useApp, useClient } from '../../lib/use-app';
import type { SessionView } from '../../state/session';
import { SignInDialog } from '../agents/SignInDialog';

/**
 * The agent refused the turn because it wants signing in (CONTRACT section 11: `errorCode:
 * "auth_required"` on the session, its `session_updated` and its `error` event).
 */
export function needsSignIn(s: SessionView): boolean {
  if (s.status !== 'error') return false;
  if ((s.base as { errorCode?: unknown } | null)?.errorCode === 'auth_required') return true;
  return s.log.some(
    (e) => (e.type === 'error' || e.type === 'session_updated') && e.errorCode === 'auth_required',
  );
}

/** "Sign in and retry" on a turn the agent refused: the agent's sign-in, then the same message again. */
export function SignInRetry({ sessionId }: { sessionId: string }) {
  const client = useClient();
  const agentId = useApp((s) => s.view?.conversation?.agentId ?? '');
  const [open, setOpen] = useState(false);
  if (!agentId) return null;
  return (
    <>
      <button type="button" class="btn small primary sign-in-retry" onClick={() => setOpen(true)}>
        Sign in and retry
      </button>
      {open ? (
        <SignInDialog
          agentId={agentId}
          then="retry"
          onClose={() => setOpen(false)}
          onSignedIn={() => {
            setOpen(false);
            void client.turns.retry(sessionId);
          }}
        />
      ) : null}
    </>
  );
}
