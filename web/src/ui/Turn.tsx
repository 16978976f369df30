import { memo } from './memo';
import { FINISHED, isActive, type SessionView, streamedText } from '../state/session';
import { type Message, messageText, type Usage } from '../types';
import { useClient } from './context';
import { Markdown } from './Markdown';
import { PermissionCard } from './PermissionCard';
import { PlanView } from './PlanView';
import { ToolCallCard } from './ToolCallCard';

export const STATUS_LABEL: Record<string, string> = {
  pending: 'Queued',
  processing: 'Running',
  completed: 'Done',
  error: 'Error',
  cancelled: 'Cancelled',
  interrupted: 'Interrupted',
};

function Thought({ text, active }: { text: string; active: boolean }) {
  return (
    <details class="thought">
      <summary>{active ? 'Thinking…' : 'Thoughts'}</summary>
      <Markdown text={text} streaming={active} class="thought-text" />
    </details>
  );
}

function StatusBar({ s }: { s: SessionView }) {
  const client = useClient();
  const canRetry = s.status === 'interrupted' || s.status === 'error' || s.status === 'cancelled';
  return (
    <div
      class={`turn-status status-${s.status}`}
      data-status={s.status}
      data-stopping={s.stopping || undefined}
    >
      <span class={`pill pill-${s.status}`}>
        {s.status === 'processing' ? <span class="spinner" aria-hidden="true" /> : null}
        {s.stopping ? 'Stopping…' : (STATUS_LABEL[s.status] ?? s.status)}
      </span>
      {s.status === 'error' && s.error ? <span class="turn-error">{s.error}</span> : null}
      {s.status === 'interrupted' ? (
        <span class="muted">{s.error || 'The server stopped during this answer.'}</span>
      ) : null}
      {/* A running turn is stopped from the composer (or Esc); a queued one can be dropped here. */}
      {s.status === 'pending' && !s.stopping ? (
        <button type="button" class="btn small" onClick={() => void client.cancel(s.id)}>
          Cancel
        </button>
      ) : null}
      {canRetry ? (
        <button type="button" class="btn small" onClick={() => void client.retryTurn(s.id)}>
          Retry
        </button>
      ) : null}
      {s.usage ? <UsageNote usage={s.usage} /> : null}
    </div>
  );
}

/** Tokens in context, discreetly: "1.2k / 200k tokens". */
function UsageNote({ usage }: { usage: Usage }) {
  const cost = usage.cost ? ` · ${usage.cost.amount.toFixed(2)} ${usage.cost.currency}` : '';
  return (
    <span class="usage muted" title={`Context: ${usage.used} of ${usage.size} tokens used${cost}`}>
      {compact(usage.used)} / {compact(usage.size)} tokens{cost}
    </span>
  );
}

function compact(n: number): string {
  if (n < 1000) return String(n);
  const k = n / 1000;
  return `${k < 10 ? k.toFixed(1).replace(/\.0$/, '') : Math.round(k)}k`;
}

interface Props {
  session: SessionView;
  answer: Message | null;
}

/** One agent turn: thoughts, tool calls, plan, permission requests and the answer, in the order they came. */
export const Turn = memo(function Turn({ session: s, answer }: Props) {
  const client = useClient();
  const active = isActive(s.status);
  const streamed = streamedText(s);
  const answerText = answer ? messageText(answer) : (s.base?.response?.text ?? '');
  // Old turns are loaded without their event history: show the stored answer and offer the details.
  const summaryOnly = !s.complete && s.items.length === 0;
  let lastText = -1;
  s.items.forEach((it, i) => {
    if (it.kind === 'text') lastText = i;
  });
  return (
    <article class="turn" data-session-id={s.id} data-status={s.status} aria-label="Agent answer">
      {summaryOnly ? (
        <>
          {answerText ? <Markdown text={answerText} class="answer" /> : null}
          {FINISHED.has(s.status) ? (
            <button type="button" class="link-btn" onClick={() => void client.showDetails(s.id)}>
              Show steps
            </button>
          ) : null}
        </>
      ) : (
        s.items.map((it, i) => {
          switch (it.kind) {
            case 'text':
              return <Markdown key={i} text={it.text} streaming={active && i === lastText} class="answer" />;
            case 'thought':
              return <Thought key={i} text={it.text} active={active && i === s.items.length - 1} />;
            case 'tool': {
              const t = s.tools[it.toolCallId];
              return t ? <ToolCallCard key={i} tool={t} /> : null;
            }
            case 'plan':
              return s.plan ? <PlanView key={i} entries={s.plan} /> : null;
            default:
              return null;
          }
        })
      )}
      {!summaryOnly && !streamed && answerText && FINISHED.has(s.status) ? (
        <Markdown text={answerText} class="answer" />
      ) : null}
      {s.permissions.map((p) => (
        <PermissionCard key={p.requestId} sessionId={s.id} perm={p} />
      ))}
      {/* Dots while the agent works on it; a queued turn just says "Queued" below. */}
      {s.status === 'processing' && !streamed && s.items.length === 0 ? (
        <p class="muted typing" aria-hidden="true">
          <span class="dot" />
          <span class="dot" />
          <span class="dot" />
        </p>
      ) : null}
      <StatusBar s={s} />
    </article>
  );
});
