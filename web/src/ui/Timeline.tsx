import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { buildRows, type Row } from '../state/timeline';
import { useApp } from './context';
import { AssistantMessage, OutboxMessage, UserMessage } from './Rows';
import { Turn } from './Turn';

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
      return <Turn session={row.session} answer={row.answer} />;
    case 'assistant':
      return <AssistantMessage message={row.message} />;
    case 'outbox':
      return <OutboxMessage item={row.item} />;
  }
}

export function Timeline() {
  const view = useApp((s) => s.view);
  const outbox = useApp((s) => s.outbox);
  const rows = useMemo(() => (view ? buildRows(view, outbox) : []), [view, outbox]);
  const convId = view?.id ?? null;
  const [count, setCount] = useState(PAGE);
  const scroller = useRef<HTMLElement>(null);
  const atBottom = useRef(true);
  /** Distance from the bottom to keep while older rows are added above (null: not prepending). */
  const keepFromBottom = useRef<number | null>(null);
  const sentinel = useRef<HTMLDivElement>(null);
  const [showJump, setShowJump] = useState(false);

  useEffect(() => {
    setCount(PAGE);
    atBottom.current = true;
    setShowJump(false);
  }, [convId]);

  const start = Math.max(0, rows.length - count);
  const visible = start ? rows.slice(start) : rows;

  const loadEarlier = () => {
    const el = scroller.current;
    if (!el || keepFromBottom.current !== null) return;
    keepFromBottom.current = el.scrollHeight - el.scrollTop;
    setCount((c) => c + PAGE);
  };

  // More history when the top comes near (before the reader reaches it).
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !start) return;
    const io = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && loadEarlier(), {
      root: scroller.current,
      rootMargin: '600px 0px 0px 0px',
    });
    io.observe(el);
    return () => io.disconnect();
  });

  // Keep the view pinned to the newest content while the reader is at the bottom, and keep the
  // reading position exactly when older rows are added above (set absolutely, so it does not
  // matter whether the browser's own scroll anchoring moved it already).
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (keepFromBottom.current !== null) {
      el.scrollTop = el.scrollHeight - keepFromBottom.current;
      keepFromBottom.current = null;
    } else if (atBottom.current) {
      el.scrollTop = el.scrollHeight;
    } else {
      setShowJump(true);
    }
  });

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    if (atBottom.current && showJump) setShowJump(false);
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
        {start > 0 ? (
          <button type="button" class="link-btn load-earlier" onClick={loadEarlier}>
            Show earlier messages ({start} more)
          </button>
        ) : null}
        <div class="rows" role="log" aria-live="off" data-row-count={rows.length}>
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
