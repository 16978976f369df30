import { useMemo } from 'preact/hooks';
import { useApp } from '../../lib/use-app';
import type { SessionView } from '../../state/session';
import { totalsText, usageTotals } from './fork-text';

/** "12.3k tokens · $0.42" in the conversation header, from the usage events of the turns shown. */
export function UsageTotals() {
  const sessions = useApp((s) => s.view?.sessions);
  const order = useApp((s) => s.view?.sessionOrder);
  // In the order the turns ran: a cost that drops marks a fresh agent session (fork-text.ts).
  const totals = useMemo(() => {
    if (!sessions || !order) return null;
    return usageTotals(order.map((id) => sessions[id]).filter((x): x is SessionView => !!x));
  }, [sessions, order]);
  if (!totals) return null;
  const what = totals.contextOnly
    ? 'Tokens in the agent’s context, as it last reported'
    : 'Tokens of the turns shown, as the agent reported them';
  return (
    <span class="usage-totals" data-usage-totals title={`${what}${totals.cost ? '; cost so far' : ''}`}>
      {' · '}
      {totalsText(totals)}
    </span>
  );
}
