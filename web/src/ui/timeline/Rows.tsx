import { useMemo } from 'preact/hooks';
import { memo } from '../../lib/memo';
import { fullTime } from '../../lib/time';
import type { OutboxItem } from '../../outbox/core';
import { type Message, messageText } from '../../types';
import { useApp, useClient } from '../../lib/use-app';
import { Markdown } from '../markdown/Markdown';
import { MessageAttachments } from '../attachments/Attachments';
import { queuedAttachments, storedAttachments } from '../attachments/shown';
import { MessageActions } from '../fork/ForkActions';

export const UserMessage = memo(function UserMessage({ message }: { message: Message }) {
  const attached = storedAttachments(message);
  return (
    <article class="msg user" data-message-id={message.id} aria-label="Your message">
      <MessageAttachments list={attached} />
      {/* A message of attachments alone has no empty bubble. */}
      {messageText(message) || !attached.length ? (
        <div class="bubble">
          <p class="user-text">{messageText(message)}</p>
        </div>
      ) : null}
      <time class="msg-time" dateTime={new Date(message.created_at).toISOString()}>
        {fullTime(message.created_at)}
      </time>
      <MessageActions message={message} />
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
  // Each image becomes a data: URL as long as its base64: made once per item, not per render.
  const queued = useMemo(() => queuedAttachments(item.attachments), [item.attachments]);
  const online = useApp((s) => s.online);
  return (
    <article
      class={`msg user outbox ${item.state}`}
      data-outbox-key={item.key}
      aria-label="Your message, not sent yet"
    >
      <MessageAttachments list={queued} />
      {item.content || !item.attachments?.length ? (
        <div class="bubble">
          <p class="user-text">{item.content}</p>
        </div>
      ) : null}
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
