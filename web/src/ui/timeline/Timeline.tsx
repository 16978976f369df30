import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { buildRows, type Row } from '../../state/timeline';
import { useApp, useClient } from '../../lib/use-app';
import { AssistantMessage, OutboxMessage, UserMessage } from './Rows';
import { Turn } from '../turn/Turn';
import './timeline.css';

/**
 * Rows rendered at first, and added per step when the reader nears the top: a 5,000-message
 * history opens with 40 rows in the DOM and grows only as far as the reader scrolls.
 */
const PAGE = 40;

function RowView({ row }: { row: Row }) {
  switch (row.kind) {
    case 'user':
      return <UserMessage message={row.message} />;
    case 'turn':
      return (
        <Turn session={row.session} answer={row.answer} attempt={row.attempt} superseded={row.superseded} />
      );
    case 'assistant':
      return <AssistantMessage message={row.message} />;
    case 'outbox':
      return <OutboxMessage item={row.item} />;
  }
}

export function Timeline() {
  const client = useClient();
  const view = useApp((s) => s.view);
  const outbox = useApp((s) => s.outbox);
  const older = useApp((s) => s.older);
  const rows = useMemo(() => (view ? buildRows(view, outbox) : []), [view, outbox]);
  const convId = view?.id ?? null;
  const hasMore = view?.hasMore ?? false;
  const [count, setCount] = useState(PAGE);
  const scroller = useRef<HTMLElement>(null);
  const rowsEl = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  /** The topmost visible row and where it was: kept in place when anything is added above it. */
  const anchor = useRef<{ el: Element; top: number } | null>(null);
  const sentinel = useRef<HTMLDivElement>(null);
  const [showJump, setShowJump] = useState(false);

  useEffect(() => {
    setCount(PAGE);
    atBottom.current = true;
    anchor.current = null;
    setShowJump(false);
  }, [convId]);

  const start = Math.max(0, rows.length - count);
  const visible = start ? rows.slice(start) : rows;

  // Older rows: first those already loaded (render more), then the server's older pages.
  const loadEarlier = () => {
    if (start > 0) setCount((c) => c + PAGE);
    else if (hasMore) void client.loader.loadOlder();
  };
  const canAutoLoad = start > 0 || (hasMore && older === 'idle');

  // More history when the top comes near (before the reader reaches it). Re-observed after every
  // render, so a page that arrived while the top was in sight is followed by the next step.
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !canAutoLoad) return;
    const io = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && loadEarlier(), {
      root: scroller.current,
      rootMargin: '600px 0px 0px 0px',
    });
    io.observe(el);
    return () => io.disconnect();
  });

  const captureAnchor = () => {
    const el = scroller.current;
    const list = rowsEl.current;
    anchor.current = el && list ? topVisibleRow(list, el.getBoundingClientRect().top) : null;
  };

  // Keep the view pinned to the newest content while the reader is at the bottom; otherwise keep
  // the row they are reading where it was, whatever was added above it (older rows, an older
  // page). Done by hand rather than trusting the browser's scroll anchoring, which does not act
  // at scrollTop 0 — exactly where older rows arrive.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (atBottom.current) {
      el.scrollTop = el.scrollHeight;
    } else {
      const a = anchor.current;
      if (a?.el.isConnected) {
        const delta = a.el.getBoundingClientRect().top - a.top;
        if (delta) el.scrollTop += delta;
      }
      setShowJump(true);
    }
    captureAnchor();
  });

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    if (atBottom.current && showJump) setShowJump(false);
    captureAnchor();
  };

  const jump = () => {
    const el = scroller.current;
    if (!el) return;
    atBottom.current = true;
    el.scrollTop = el.scrollHeight;
    setShowJump(false);
  };

  return (
    <div class="timeline-wrap">
      {/* A scrollable region: browsers make it keyboard-focusable by themselves. */}
      <section class="timeline" ref={scroller} onScroll={onScroll} aria-label="Messages">
        <div ref={sentinel} aria-hidden="true" />
        {start > 0 || hasMore ? (
          <button
            type="button"
            class="link-btn load-earlier"
            onClick={older === 'error' && !start ? () => void client.loader.loadOlder() : loadEarlier}
            disabled={!start && older === 'loading'}
          >
            {start > 0
              ? `Show earlier messages (${start}${hasMore ? '+' : ''} more)`
              : older === 'loading'
                ? 'Loading earlier messages…'
                : older === 'error'
                  ? 'Could not load earlier messages. Try again'
                  : 'Load earlier messages'}
          </button>
        ) : null}
        <div class="rows" ref={rowsEl} role="log" aria-live="off" data-row-count={rows.length}>
          {visible.map((r) => (
            <div class="row" key={r.key} data-kind={r.kind}>
              <RowView row={r} />
            </div>
          ))}
        </div>
      </section>
      {showJump ? (
        <button type="button" class="jump btn" onClick={jump} aria-label="Jump to the newest message">
          ↓ Newest
        </button>
      ) : null}
    </div>
  );
}

/** The first row whose bottom is below `top` (binary search: rows are in document order). */
function topVisibleRow(list: HTMLElement, top: number): { el: Element; top: number } | null {
  const rows = list.children;
  let lo = 0;
  let hi = rows.length - 1;
  if (hi < 0) return null;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((rows[mid] as Element).getBoundingClientRect().bottom <= top) lo = mid + 1;
    else hi = mid;
  }
  const el = rows[lo] as Element;
  return { el, top: el.getBoundingClientRect().top };
}
