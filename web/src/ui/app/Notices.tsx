// The notices of client/notices.ts, and the warning that unsent messages live only in this tab.

import { useApp, useClient } from '../../lib/use-app';
import './notices.css';

export function Notices() {
  const client = useClient();
  const notices = useApp((s) => s.notices);
  const persistent = useApp((s) => s.outboxPersistent);
  return (
    <div class="notices" role="status" aria-live="polite">
      {persistent ? null : (
        <div class="notice info">
          Unsent messages are kept only while this tab is open (browser storage is unavailable).
        </div>
      )}
      {notices.map((n) => (
        <div class={`notice ${n.kind}`} key={n.id}>
          <span>{n.text}</span>
          <button
            type="button"
            class="icon-btn small"
            aria-label="Dismiss"
            onClick={() => client.notices.dismiss(n.id)}
          >
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
