import { memo } from '../../lib/memo';
import { fullTime } from '../../lib/time';
import type { OutboxItem } from '../../outbox/core';
import { type Message, messageText } from '../../types';
import { useApp, useClient } from '../../lib/use-app';
import { Markdown } from '../markdown/Markdown';

export const UserMessage = memo(function UserMessage({ message }: { message: Message }) {
  return (
    <article class="msg user" data-message-id={message.id} aria-label="Your message">
      <div class="bubble">
        <p class="user-text">{messageText(message)}</p>
      </div>
      <time class="msg-time" dateTime={new Date(message.created_at).toISOString()}>
        {fullTime(message.created_at)}
      </time>
    </article>
  );
});

export const AssistantMessage = memo(function AssistantMessage({ message }: { message: Message }) {
  return (
    <article class="turn" data-message-id={message.id} aria-label="Agent message">
      <Markdown text={messageText(message)} class="answer" />
    </article>
  );
});

/** A message typed here that the server has not confirmed yet. */
export function OutboxMessage({ item }: { item: OutboxItem }) {
  const client = useClient();
  const online = useApp((s) => s.online);
  return (
    <article
      class={`msg user outbox ${item.state}`}
      data-outbox-key={item.key}
      aria-label="Your message, not sent yet"
    >
      <div class="bubble">
        <p class="user-text">{item.content}</p>
      </div>
      <div class="outbox-state" role="status">
        {item.state === 'sending' && !online ? (
          <span class="outbox-offline">Sending paused: it will send when you're back online.</span>
        ) : item.state === 'sending' ? (
          <span>
            <span class="spinner" aria-hidden="true" /> Sending…
            {item.attempts > 0 ? ` (${item.error ?? 'retrying'})` : ''}
          </span>
        ) : (
          <>
            <span class="turn-error">Not sent: {item.error}</span>
            <button type="button" class="btn small" onClick={() => client.sender.retry(item.key)}>
              Try again
            </button>
            <button type="button" class="btn small" onClick={() => client.sender.discard(item.key)}>
              Discard
            </button>
          </>
        )}
      </div>
    </article>
  );
}
