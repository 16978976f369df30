import { memo } from '../../lib/memo';
import { answerHasSteps, FINISHED, isActive, type SessionView, streamedText } from '../../state/session';
import { type Message, messageText, type Usage } from '../../types';
import { serverUnreachable } from '../../client/app-state';
import { useApp, useClient } from '../../lib/use-app';
import { Markdown } from '../markdown/Markdown';
import { PermissionCard, PermissionDecided } from './PermissionCard';
import { PlanView } from './PlanView';
import { needsSignIn, SignInRetry } from './SignInRetry';
import { ToolCallCard } from './ToolCallCard';
import { TurnForkAction } from '../fork/ForkActions';
import './turn.css';

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

/**
 * The one word for a turn's state, shared by the turn and the conversation header so they agree:
 * a running turn with a question open is waiting for you; unreachable when its state is unknown.
 */
export function turnStatusText(s: SessionView, unreachable: boolean): string {
  if (s.status === 'processing' && unreachable) return 'Server unreachable';
  if (s.status === 'processing' && s.permissions.length > 0) return 'Waiting for you';
  if (s.stopping && isActive(s.status)) return 'Stopping…';
  return STATUS_LABEL[s.status] ?? s.status;
}

interface StatusProps {
  s: SessionView;
  attempt: number;
  superseded: boolean;
}

function StatusBar({ s, attempt, superseded }: StatusProps) {
  const client = useClient();
  const unreachable = useApp(serverUnreachable);
  const canRetry =
    !superseded && (s.status === 'interrupted' || s.status === 'error' || s.status === 'cancelled');
  const waiting = s.status === 'processing' && s.permissions.length > 0 && !unreachable;
  const lost = s.status === 'processing' && unreachable;
  const signIn = canRetry && needsSignIn(s);
  return (
    <div
      class={`turn-status status-${s.status}`}
      data-status={s.status}
      data-stopping={s.stopping || undefined}
      data-unreachable={lost || undefined}
    >
      {attempt > 1 ? (
        <span class="attempt muted" data-attempt={attempt}>
          Attempt {attempt}
        </span>
      ) : null}
      <span class={`pill pill-${waiting ? 'waiting' : lost ? 'unreachable' : s.status}`}>
        {s.status === 'processing' && !waiting && !unreachable ? (
          <span class="spinner" aria-hidden="true" />
        ) : null}
        {turnStatusText(s, unreachable)}
      </span>
      {lost ? (
        <span class="muted">The agent may still be working; this updates when the connection is back.</span>
      ) : null}
      {superseded ? <span class="muted">Retried below.</span> : null}
      {s.status === 'error' && s.error ? <span class="turn-error">{s.error}</span> : null}
      {s.status === 'interrupted' ? (
        <span class="muted">{s.error || 'The server stopped during this answer.'}</span>
      ) : null}
      {/* A running turn is stopped from the composer (or Esc); a queued one can be dropped here. */}
      {s.status === 'pending' && !s.stopping ? (
        <button type="button" class="btn small" onClick={() => void client.turns.cancel(s.id)}>
          Cancel
        </button>
      ) : null}
      {signIn ? <SignInRetry sessionId={s.id} /> : null}
      {canRetry && !signIn ? (
        <button type="button" class="btn small" onClick={() => void client.turns.retry(s.id)}>
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
  /** 1 for the first answer to its message, 2 for the first retry, … */
  attempt?: number;
  /** A later attempt answers the same message. */
  superseded?: boolean;
}

/** One agent turn: thoughts, tool calls, plan, permission requests and the answer, in the order they came. */
export const Turn = memo(function Turn({ session: s, answer, attempt = 1, superseded = false }: Props) {
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
          {FINISHED.has(s.status) && answerHasSteps(answer) ? (
            <button type="button" class="link-btn" onClick={() => void client.loader.showDetails(s.id)}>
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
              return t ? <ToolCallCard key={i} tool={t} terminals={s.terminals} /> : null;
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
      {s.decided.map((d) => (
        <PermissionDecided key={d.requestId} d={d} />
      ))}
      {s.permissions.map((p) => (
        <PermissionCard
          key={p.requestId}
          sessionId={s.id}
          perm={p}
          toolShown={!summaryOnly && !!p.toolCallId && !!s.tools[p.toolCallId]}
        />
      ))}
      {/* Dots while the agent works on it; a queued turn just says "Queued" below. */}
      {s.status === 'processing' && !streamed && s.items.length === 0 ? (
        <p class="muted typing" aria-hidden="true">
          <span class="dot" />
          <span class="dot" />
          <span class="dot" />
        </p>
      ) : null}
      <StatusBar s={s} attempt={attempt} superseded={superseded} />
      <TurnForkAction session={s} answer={answer} />
    </article>
  );
});
