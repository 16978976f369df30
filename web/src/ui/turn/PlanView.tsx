import type { PlanEntry } from '../../types';
import './plan.css';

const MARK: Record<string, string> = { completed: '✓', in_progress: '◐', pending: '○' };

/** The agent's plan as a checklist; it is replaced whole on every update, so it updates in place. */
export function PlanView({ entries }: { entries: PlanEntry[] }) {
  const done = entries.filter((e) => e.status === 'completed').length;
  return (
    <section class="plan" aria-label="Plan">
      <h3 class="plan-head">
        Plan <span class="muted">{entries.length ? `${done}/${entries.length} done` : 'empty'}</span>
      </h3>
      <ul>
        {entries.map((e, i) => (
          <li key={i} class={`plan-${e.status ?? 'pending'}`} data-status={e.status ?? 'pending'}>
            <span class="plan-mark" aria-hidden="true">
              {MARK[e.status ?? 'pending'] ?? '○'}
            </span>
            <span class="sr-only">
              {e.status === 'completed' ? 'done: ' : e.status === 'in_progress' ? 'in progress: ' : 'to do: '}
            </span>
            <span class="plan-text">{e.content}</span>
            {e.priority === 'high' ? <span class="badge">high</span> : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
