import { useEffect, useState } from 'preact/hooks';
import type { ConnState } from '../../net/socket';
import { useApp } from '../../lib/use-app';
import './conn-badge.css';

function describe(c: ConnState, now: number): { text: string; kind: string } {
  switch (c.kind) {
    case 'open':
      return { text: 'Live', kind: 'ok' };
    case 'connecting':
      return { text: c.attempt ? 'Reconnecting…' : 'Connecting…', kind: 'warn' };
    case 'waiting': {
      const s = Math.max(0, Math.ceil((c.retryAt - now) / 1000));
      return { text: s > 0 ? `Reconnecting in ${s} s` : 'Reconnecting…', kind: 'warn' };
    }
    case 'closed':
      return { text: 'Idle', kind: 'muted' };
  }
}

/** Always-visible connection state: the sidebar's /sync and, when a conversation is open, its /stream. */
export function ConnBadge() {
  const online = useApp((s) => s.online);
  const sync = useApp((s) => s.syncConn);
  const stream = useApp((s) => s.streamConn);
  const hasView = useApp((s) => s.selectedId !== null);
  const [now, setNow] = useState(Date.now());
  const waiting = sync.kind === 'waiting' || stream.kind === 'waiting';
  useEffect(() => {
    if (!waiting) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [waiting]);
  // The worse of the two connections is what the user needs to know.
  const main = hasView && stream.kind !== 'open' && stream.kind !== 'closed' ? stream : sync;
  const d = online ? describe(main, now) : { text: 'Offline', kind: 'bad' };
  return (
    <span
      class={`conn conn-${d.kind}`}
      role="status"
      aria-live="polite"
      data-conn={d.kind}
      title="Connection to the server"
    >
      <span class="conn-dot" aria-hidden="true" />
      {d.text}
    </span>
  );
}
